{#-
    reengagement: the web/app activity of a contact who has never ordered (no order in any
    channel by `as_of`): each session (int_sessions_aggregated) is a series anchored on its
    last event; series_id = the session's start. Cancelled ('activity') by the next session,
    so the latest session's series is the live one and any activity starts a new one.
    Payload: when the contact was last active and how much they had browsed.
-#}

with

sessions as (

    select * from {{ ref('int_sessions_aggregated') }}

),

customers as (

    select distinct contact_id
    from {{ ref('int_orders_netted') }}
    where
        contact_id is not null
        and ordered_at <= {{ nudge.as_of() }}

),

prospects as (

    select
        sessions.*,
        lead(sessions.started_at) over (
            partition by sessions.contact_id
            order by sessions.started_at
        ) as next_session_started_at
    from sessions
    left join customers
        on sessions.contact_id = customers.contact_id
    where customers.contact_id is null

)

select
    contact_id,
    'reengagement' as trigger_key,
    {{ nudge.timestamp_key('started_at') }} as series_id,
    ended_at as anchor_at,
    next_session_started_at as cancelled_at,
    case when next_session_started_at is not null then 'activity' end as cancel_reason,
    cast(null as {{ dbt.type_string() }}) as reentry_key,
    {{ nudge.json_object_text([
        ('last_active_at', nudge.timestamp_key('ended_at'), 'string'),
        ('last_channel', 'channel', 'string'),
        ('sessions', 'session_number', 'number'),
        ('last_session_product_views', 'product_views', 'number'),
    ]) }} as payload
from prospects
