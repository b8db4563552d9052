{{ config(**nudge.incremental_config('message_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('int_events_attributed')]) %}

{#-
    One row per attributed Content Downloaded up to `as_of`, its properties read
    (content_id, title, topic).
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
        event_at as downloaded_at,
        {{ nudge.clean_text(nudge.json_text('properties', 'content_id')) }} as content_id,
        {{ nudge.clean_text(nudge.json_text('properties', 'title')) }} as title,
        lower({{ nudge.clean_text(nudge.json_text('properties', 'topic')) }}) as topic,
        {{ nudge.as_of() }} as processed_as_of
    from attributed
    where
        event_name = 'Content Downloaded'
        and contact_id is not null
        and event_at <= {{ nudge.as_of() }}
        and {{ nudge.clean_text(nudge.json_text('properties', 'content_id')) }} is not null

)

{{ nudge.replace_keys('final', 'message_id', 'attributed', since) }}
