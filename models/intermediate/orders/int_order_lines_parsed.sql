{{ config(**nudge.incremental_config('message_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('int_events_attributed')]) %}

{#-
    One row per line of each attributed Order Completed: its `products` array, up to var
    max_order_lines lines, read with an index spine so every engine unnests it the same way.
    Lines without a product_id are left out. The buyer's contact_id and anonymous_id are
    kept, so erasing a person finds their lines. product_id, name and category as the event
    sent them (blank text as null); price to the cent; quantity in whole units, 1 when
    absent or not positive.
    Incremental on the events int_events_attributed changed (README, "Incremental
    processing"); a changed max_order_lines takes `--full-refresh`.
-#}

with

attributed as (

    {{ nudge.attributed_events_changed(since) }}

),

line_indexes as (

    {{ nudge.index_spine(var('max_order_lines')) }}

),

order_events as (

    select
        message_id,
        contact_id,
        anonymous_id,
        properties,
        {{ nudge.json_array_length('properties', 'products') }} as line_count
    from attributed
    where event_name = 'Order Completed'

),

lines as (

    select
        order_events.message_id,
        order_events.contact_id,
        order_events.anonymous_id,
        line_indexes.line_index,
        {{ nudge.clean_text(nudge.json_array_item_text('order_events.properties', 'products', 'line_indexes.line_index', 'product_id')) }}
            as product_id,
        {{ nudge.clean_text(nudge.json_array_item_text('order_events.properties', 'products', 'line_indexes.line_index', 'name')) }}
            as product_name,
        {{ nudge.clean_text(nudge.json_array_item_text('order_events.properties', 'products', 'line_indexes.line_index', 'category')) }}
            as category,
        {{ nudge.safe_number(nudge.json_array_item_text('order_events.properties', 'products', 'line_indexes.line_index', 'price')) }}
            as price,
        {{ nudge.safe_number(nudge.json_array_item_text('order_events.properties', 'products', 'line_indexes.line_index', 'quantity')) }}
            as quantity
    from order_events
    inner join line_indexes
        on order_events.line_count > line_indexes.line_index

),

final as (

    select
        message_id,
        cast(line_index + 1 as {{ dbt.type_int() }}) as line_number,
        contact_id,
        anonymous_id,
        product_id,
        product_name,
        category,
        cast(price as decimal(18, 2)) as price,
        cast(case when quantity >= 1 then floor(quantity) else 1 end as {{ dbt.type_int() }}) as quantity,
        {{ nudge.as_of() }} as processed_as_of
    from lines
    where product_id is not null

)

{{ nudge.replace_keys('final', 'message_id', 'attributed', since) }}
