{#-
    One row per line of each order: the `products` array of the Order Completed occurrence
    int_orders_netted keeps, read with an index spine (var max_order_lines) so every engine
    unnests it the same way. A line's category and name fall back to the product's current
    catalog state; quantity defaults to 1 (whole units).
-#}

{%- set max_lines = var('max_order_lines') %}

with

orders as (

    select * from {{ ref('int_orders_netted') }}

),

order_events as (

    select
        message_id,
        properties
    from {{ ref('int_events_attributed') }}
    where event_name = 'Order Completed'

),

products as (

    select * from {{ ref('int_products_current') }}

),

line_indexes as (

    {% for i in range(max_lines) %}
        select {{ i }} as line_index
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

order_products as (

    select
        orders.order_id,
        orders.contact_id,
        orders.ordered_at,
        orders.channel,
        order_events.properties,
        {{ nudge.json_array_length('order_events.properties', 'products') }} as line_count
    from orders
    inner join order_events
        on orders.message_id = order_events.message_id

),

lines as (

    select
        order_products.order_id,
        order_products.contact_id,
        order_products.ordered_at,
        order_products.channel,
        line_indexes.line_index,
        {{ nudge.clean_text(nudge.json_array_item_text('order_products.properties', 'products', 'line_indexes.line_index', 'product_id')) }}
            as product_id,
        {{ nudge.clean_text(nudge.json_array_item_text('order_products.properties', 'products', 'line_indexes.line_index', 'name')) }}
            as product_name,
        {{ nudge.clean_text(nudge.json_array_item_text('order_products.properties', 'products', 'line_indexes.line_index', 'category')) }}
            as category,
        {{ nudge.safe_number(nudge.json_array_item_text('order_products.properties', 'products', 'line_indexes.line_index', 'price')) }}
            as price,
        {{ nudge.safe_number(nudge.json_array_item_text('order_products.properties', 'products', 'line_indexes.line_index', 'quantity')) }}
            as quantity
    from order_products
    inner join line_indexes
        on order_products.line_count > line_indexes.line_index

)

select
    {{ dbt.concat(['lines.order_id', "'#'", dbt.cast('lines.line_index + 1', dbt.type_string())]) }} as order_line_id,
    lines.order_id,
    cast(lines.line_index + 1 as {{ dbt.type_int() }}) as line_number,
    lines.contact_id,
    lines.ordered_at,
    lines.channel,
    lines.product_id,
    coalesce(lines.product_name, products.product_name) as product_name,
    coalesce(lines.category, products.category) as category,
    cast(lines.price as decimal(18, 2)) as price,
    cast(case when lines.quantity >= 1 then floor(lines.quantity) else 1 end as {{ dbt.type_int() }}) as quantity
from lines
left join products
    on lines.product_id = products.product_id
where lines.product_id is not null
