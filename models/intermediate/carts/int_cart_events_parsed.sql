{{ config(**nudge.incremental_config('message_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('int_events_attributed')]) %}

{#-
    One row per Product Added / Product Removed of a known contact up to `as_of` with a
    product_id, its properties read: cart_id, name, category, price and the units it moves
    (quantity rounded down when it is 1 or more; 1 when it is missing, unreadable or below 1).
    Incremental: the events int_events_attributed wrote since the last run, and those whose
    time has come since (an event may be stamped ahead of its landing).
-#}

with

attributed as (

    {{ nudge.attributed_events_changed(since, time_passed=true) }}

),

cart_events as (

    select
        message_id,
        contact_id,
        event_name,
        event_at,
        {{ nudge.clean_text(nudge.json_text('properties', 'product_id')) }} as product_id,
        {{ nudge.clean_text(nudge.json_text('properties', 'cart_id')) }} as cart_id,
        {{ nudge.clean_text(nudge.json_text('properties', 'name')) }} as product_name,
        {{ nudge.clean_text(nudge.json_text('properties', 'category')) }} as category,
        {{ nudge.json_number('properties', 'price') }} as price,
        {{ nudge.json_number('properties', 'quantity') }} as raw_quantity
    from attributed
    where
        contact_id is not null
        and {{ nudge.text_in('event_name', ['Product Added', 'Product Removed']) }}
        and event_at <= {{ nudge.as_of() }}

),

final as (

    select
        message_id,
        contact_id,
        event_name,
        event_at,
        product_id,
        cart_id,
        product_name,
        category,
        price,
        case when raw_quantity >= 1 then floor(raw_quantity) else 1 end as quantity,
        {{ nudge.as_of() }} as processed_as_of
    from cart_events
    where product_id is not null

)

{{ nudge.replace_keys('final', 'message_id', 'attributed', since) }}
