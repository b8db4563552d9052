{{ config(**nudge.incremental_config('message_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('int_events_attributed')]) %}

{#-
    One row per attributed Coupon Applied, its properties read once: coupon, order_id and
    cart_id (blank text as null). The contact_id and anonymous_id are kept, so erasing a
    person finds their rows.
    Incremental on the events int_events_attributed changed (README, "Incremental processing").
-#}

with

attributed as (

    {{ nudge.attributed_events_changed(since) }}

),

final as (

    select
        message_id,
        contact_id,
        anonymous_id,
        event_at as applied_at,
        {{ nudge.clean_text(nudge.json_text('properties', 'coupon')) }} as coupon,
        {{ nudge.clean_text(nudge.json_text('properties', 'order_id')) }} as order_id,
        {{ nudge.clean_text(nudge.json_text('properties', 'cart_id')) }} as cart_id,
        {{ nudge.as_of() }} as processed_as_of
    from attributed
    where event_name = 'Coupon Applied'

)

{{ nudge.replace_keys('final', 'message_id', 'attributed', since) }}
