{#-
    Email performance per audience as of `as_of`: one row per segment and per lifecycle
    stage. A send counts in the segments its contact was in when it was sent (the latest
    segment_transitions row at or before sent_at is an entry: membership as recorded by
    the runs before the send, so a contact who later moved on still counts where it was),
    and in the contact's current lifecycle stage (contact_profiles keeps no history of it).
    Every send confirmed sent, with its engagement and attributed orders (as in
    flow_performance).
-#}

{%- set dbl = nudge.type_double() %}

with

sends as (

    select * from {{ ref('int_sends_engagement_summarized') }}

),

orders as (

    select
        send_key,
        count(*) as conversions,
        sum(net_total) as revenue
    from {{ ref('int_orders_attributed') }}
    group by send_key

),

transitions_before_send as (

    select
        sends.send_key,
        transitions.segment_key,
        transitions.transition,
        row_number() over (
            partition by sends.send_key, transitions.segment_key
            order by transitions.transitioned_at desc, transitions.transition asc
        ) as recency
    from sends
    inner join {{ ref('segment_transitions') }} as transitions
        on
            sends.contact_id = transitions.contact_id
            and sends.sent_at >= transitions.transitioned_at

),

send_audiences as (

    select
        'segment' as dimension,
        segment_key as audience,
        send_key
    from transitions_before_send
    where recency = 1 and transition = 'entered'
    union all
    select
        'lifecycle_stage' as dimension,
        profiles.lifecycle_stage as audience,
        sends.send_key
    from sends
    inner join {{ ref('contact_profiles') }} as profiles
        on sends.contact_id = profiles.contact_id
    where profiles.lifecycle_stage is not null

),

aggregated as (

    select
        send_audiences.dimension,
        send_audiences.audience,
        count(distinct sends.contact_id) as contacts_sent,
        count(*) as sends,
        sum(case when sends.is_delivered then 1 else 0 end) as delivered,
        sum(case when sends.opened_at is not null then 1 else 0 end) as opens,
        sum(case when sends.clicked_at is not null then 1 else 0 end) as clicks,
        sum(coalesce(orders.conversions, 0)) as conversions,
        sum(coalesce(orders.revenue, 0)) as revenue
    from send_audiences
    inner join sends
        on send_audiences.send_key = sends.send_key
    left join orders
        on sends.send_key = orders.send_key
    group by send_audiences.dimension, send_audiences.audience

)

select
    dimension || '|' || audience as audience_key,
    dimension,
    audience,
    cast(contacts_sent as {{ dbt.type_int() }}) as contacts_sent,
    cast(sends as {{ dbt.type_int() }}) as sends,
    cast(delivered as {{ dbt.type_int() }}) as delivered,
    cast(opens as {{ dbt.type_int() }}) as opens,
    cast(clicks as {{ dbt.type_int() }}) as clicks,
    cast(conversions as {{ dbt.type_int() }}) as conversions,
    cast(revenue as decimal(18, 2)) as revenue,
    cast(cast(opens as {{ dbl }}) / nullif(delivered, 0) as decimal(18, 6)) as open_rate,
    cast(cast(clicks as {{ dbl }}) / nullif(delivered, 0) as decimal(18, 6)) as click_through_rate,
    cast(cast(conversions as {{ dbl }}) / nullif(delivered, 0) as decimal(18, 6)) as conversion_rate,
    cast(cast(revenue as {{ dbl }}) / nullif(delivered, 0) as decimal(18, 2)) as revenue_per_email,
    {{ nudge.as_of() }} as as_of
from aggregated
