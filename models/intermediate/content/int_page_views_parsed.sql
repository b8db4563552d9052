{{ config(**nudge.incremental_config('message_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('int_events_attributed')]) %}

{#-
    One row per attributed Page Viewed up to `as_of`, known contact or not (its device's
    anonymous_id kept, so erasing a person finds their anonymous views), its properties
    read once: page_type (lower case), path (as page_path), title, category and url, blank text
    as null.
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
        anonymous_id,
        event_at as viewed_at,
        lower({{ nudge.clean_text(nudge.json_text('properties', 'page_type')) }}) as page_type,
        {{ nudge.clean_text(nudge.json_text('properties', 'path')) }} as page_path,
        {{ nudge.clean_text(nudge.json_text('properties', 'title')) }} as title,
        {{ nudge.clean_text(nudge.json_text('properties', 'category')) }} as category,
        {{ nudge.clean_text(nudge.json_text('properties', 'url')) }} as url,
        {{ nudge.as_of() }} as processed_as_of
    from attributed
    where
        event_name = 'Page Viewed'
        and event_at <= {{ nudge.as_of() }}

)

{{ nudge.replace_keys('final', 'message_id', 'attributed', since) }}
