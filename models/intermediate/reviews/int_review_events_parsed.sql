{{ config(**nudge.incremental_config('message_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('int_events_attributed')]) %}

{#-
    One row per attributed Product Reviewed of a known contact up to `as_of`, its properties
    read (product_id, review_id, rating), for int_product_reviews_parsed to key and dedupe:
    read from every event's properties, a rare event costs a pass over all of them.
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
        event_at as reviewed_at,
        received_at,
        {{ nudge.clean_text(nudge.json_text('properties', 'product_id')) }} as product_id,
        {{ nudge.clean_text(nudge.json_text('properties', 'review_id')) }} as review_id,
        {{ nudge.json_number('properties', 'rating') }} as rating,
        {{ nudge.as_of() }} as processed_as_of
    from attributed
    where
        event_name = 'Product Reviewed'
        and contact_id is not null
        and event_at <= {{ nudge.as_of() }}

)

{{ nudge.replace_keys('final', 'message_id', 'attributed', since) }}
