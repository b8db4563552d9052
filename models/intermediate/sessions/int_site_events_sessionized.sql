{{ config(**nudge.incremental_config('contact_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('int_events_attributed')]) %}

{#-
    Every attributed web/app event up to `as_of` (site and app activity: not ESP feedback,
    not in-store orders, not refunds), numbered into sessions per contact: a session ends
    after var session_timeout_minutes (default 30) without activity. Incremental: every
    event of each contact whose events may have changed (a late event can split or join
    sessions anywhere in that contact's history), re-numbered from the first.
-#}

{%- set timeout = var('session_timeout_minutes') %}
{%- set touched = nudge.touched_keys('contact_id', nudge.touched_contact_ids(since, this)) %}

with

{{ touched.cte }}

activity as (

    select
        message_id,
        contact_id,
        event_name,
        event_at,
        channel,
        properties
    from {{ ref('int_events_attributed') }}
    where
        contact_id is not null
        and channel in ('web', 'app')
        and event_name not in (
            'Order Refunded',
            'Email Delivered',
            'Email Opened',
            'Email Link Clicked',
            'Email Bounced',
            'Email Marked as Spam'
        )
        and event_at <= {{ nudge.as_of() }}
        and {{ touched.filter }}

),

sequenced as (

    select
        *,
        lag(event_at) over (
            partition by contact_id
            order by event_at, message_id
        ) as previous_event_at
    from activity

),

flagged as (

    select
        *,
        case
            when previous_event_at is null then 1
            when event_at > {{ dbt.dateadd('minute', timeout, 'previous_event_at') }} then 1
            else 0
        end as is_session_start
    from sequenced

),

numbered as (

    select
        *,
        sum(is_session_start) over (
            partition by contact_id
            order by event_at, message_id
            rows between unbounded preceding and current row
        ) as session_number
    from flagged

),

final as (

    select
        message_id,
        contact_id,
        {{ dbt.concat(['contact_id', "'#'", dbt.cast('session_number', dbt.type_string())]) }} as session_id,
        cast(session_number as {{ dbt.type_int() }}) as session_number,
        event_name,
        event_at,
        channel,
        properties,
        is_session_start = 1 as is_session_start,
        {{ nudge.as_of() }} as processed_as_of
    from numbered

)

{{ nudge.replace_keys('final', 'contact_id', 'touched', since) }}
