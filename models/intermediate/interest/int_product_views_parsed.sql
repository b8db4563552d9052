{{ config(**nudge.incremental_config('message_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('int_events_attributed')]) %}

{#-
    One row per attributed Product Viewed of a known contact up to `as_of`, its properties
    read once: product_id, name, category and price as the event sent them.
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
        event_at as viewed_at,
        channel,
        {{ nudge.clean_text(nudge.json_text('properties', 'product_id')) }} as product_id,
        {{ nudge.clean_text(nudge.json_text('properties', 'name')) }} as product_name,
        {{ nudge.clean_text(nudge.json_text('properties', 'category')) }} as category,
        cast({{ nudge.json_number('properties', 'price') }} as decimal(18, 2)) as price,
        {{ nudge.as_of() }} as processed_as_of
    from attributed
    where
        event_name = 'Product Viewed'
        and contact_id is not null
        and event_at <= {{ nudge.as_of() }}

)

{{ nudge.replace_keys('final', 'message_id', 'attributed', since) }}
