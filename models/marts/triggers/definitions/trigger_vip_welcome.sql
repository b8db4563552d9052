{#-
    vip_welcome: entering rfm_champions (segment_transitions, recorded by the run that saw
    it). series_id = the entry's transition_key; re-entry once per 180 days (catalog),
    reentry_key ''.

    anchor_at is the contact's last order at or before the entry, the event that made them
    a champion, rather than the run that noticed it (the entry time when there is none).
    In steady runs that is minutes earlier; on a first deployment segment_transitions
    records every current champion as entering at once, and anchoring at the order lets the
    staleness guardrail expire the welcomes of those who became champions long ago while
    still welcoming the ones whose order is fresh, the same way on every replay.
-#}

with

entries as (

    select
        transition_key,
        contact_id,
        transitioned_at as entered_at
    from {{ ref('segment_transitions') }}
    where
        segment_key = 'rfm_champions'
        and transition = 'entered'
        and transitioned_at <= {{ nudge.as_of() }}

),

orders as (

    select
        contact_id,
        ordered_at
    from {{ ref('int_orders_netted') }}
    where contact_id is not null

),

evidenced as (

    select
        entries.transition_key,
        entries.contact_id,
        entries.entered_at,
        max(orders.ordered_at) as last_order_at
    from entries
    left join orders
        on
            entries.contact_id = orders.contact_id
            and entries.entered_at >= orders.ordered_at
    group by entries.transition_key, entries.contact_id, entries.entered_at

),

profiles as (

    select * from {{ ref('contact_profiles') }}

)

select
    evidenced.contact_id,
    'vip_welcome' as trigger_key,
    evidenced.transition_key as series_id,
    coalesce(evidenced.last_order_at, evidenced.entered_at) as anchor_at,
    cast(null as {{ dbt.type_timestamp() }}) as cancelled_at,
    cast(null as {{ dbt.type_string() }}) as cancel_reason,
    '' as reentry_key,
    {{ nudge.json_object_text([
        ('first_name', 'profiles.first_name', 'string'),
        ('segment', "'rfm_champions'", 'string'),
        ('entered_at', nudge.timestamp_key('evidenced.entered_at'), 'string'),
        ('orders_count', 'profiles.orders_count', 'number'),
        ('lifetime_revenue', 'profiles.lifetime_revenue', 'number'),
    ]) }} as payload
from evidenced
left join profiles
    on evidenced.contact_id = profiles.contact_id
