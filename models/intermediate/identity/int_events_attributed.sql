{{ config(**nudge.incremental_config('message_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('stg_events__checked'), ref('stg_identifies__checked')]) %}

{#-
    Every kept event with its contact: its own user_id, else the user_id its anonymous_id
    was stitched to, whenever the link happened (activity before the link included).
    contact_id stays null for devices never linked to a customer. Incremental: events that
    landed since the last run and every event of a device whose stitching may have changed.
-#}

-- depends_on: {{ ref('stg_identifies__checked') }}
-- depends_on: {{ ref('stg_events__checked') }}

with

events as (

    {{ nudge.touched_events(since) }}

),

stitched as (

    select * from {{ ref('int_anonymous_ids_stitched') }}

),

attributed as (

    select
        events.message_id,
        events.event_name,
        coalesce(events.user_id, stitched.user_id) as contact_id,
        events.user_id,
        events.anonymous_id,
        events.user_id is null and stitched.user_id is not null as is_stitched,
        events.event_at,
        events.received_at,
        events.channel,
        events.properties,
        events.context,
        events.is_known_event,
        {{ nudge.as_of() }} as processed_as_of
    from events
    left join stitched
        on events.anonymous_id = stitched.anonymous_id

)

{{ nudge.replace_keys('attributed', 'message_id', 'events', since) }}
