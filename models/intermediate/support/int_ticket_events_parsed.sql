{{ config(**nudge.incremental_config('message_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('int_events_attributed')]) %}

{#-
    One row per attributed Ticket Created of a known contact up to `as_of`, its properties
    read (ticket_id, topic; blank text as null).
    Incremental on the events int_events_attributed changed (README, "Incremental processing").
-#}

with

attributed as (

    {{ nudge.attributed_events_changed(since, time_passed=true) }}

),

final as (

    select
        message_id,
        contact_id,
        event_at as created_at,
        {{ nudge.clean_text(nudge.json_text('properties', 'ticket_id')) }} as ticket_id,
        {{ nudge.clean_text(nudge.json_text('properties', 'topic')) }} as ticket_topic,
        {{ nudge.as_of() }} as processed_as_of
    from attributed
    where
        event_name = 'Ticket Created'
        and contact_id is not null
        and event_at <= {{ nudge.as_of() }}

)

{{ nudge.replace_keys('final', 'message_id', 'attributed', since) }}
