{{ config(**nudge.incremental_config('message_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('int_events_attributed')]) %}

{#-
    One row per attributed Order Completed or Order Refunded, its properties read once:
    order_id and coupon (blank text as null) and total (null when not a number). The
    buyer's contact_id and anonymous_id are kept, so erasing a person finds their rows.
    Incremental on the events int_events_attributed changed (README, "Incremental processing").
-#}

with

attributed as (

    {{ nudge.attributed_events_changed(since) }}

),

final as (

    select
        message_id,
        event_name,
        contact_id,
        anonymous_id,
        event_at,
        received_at,
        channel,
        {{ nudge.clean_text(nudge.json_text('properties', 'order_id')) }} as order_id,
        {{ nudge.json_number('properties', 'total') }} as total,
        {{ nudge.clean_text(nudge.json_text('properties', 'coupon')) }} as coupon,
        {{ nudge.as_of() }} as processed_as_of
    from attributed
    where {{ nudge.text_in('event_name', ['Order Completed', 'Order Refunded']) }}

)

{{ nudge.replace_keys('final', 'message_id', 'attributed', since) }}
