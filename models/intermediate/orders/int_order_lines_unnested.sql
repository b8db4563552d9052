{#-
    One row per line of each order: the lines of the Order Completed occurrence
    int_orders_netted keeps (int_order_lines_parsed). A line's category and name fall back
    to the product's current catalog state.
-#}

with

orders as (

    select * from {{ ref('int_orders_netted') }}

),

lines as (

    select * from {{ ref('int_order_lines_parsed') }}

),

products as (

    select * from {{ ref('int_products_current') }}

)

select
    {{ dbt.concat(['orders.order_id', "'#'", dbt.cast('lines.line_number', dbt.type_string())]) }} as order_line_id,
    orders.order_id,
    lines.line_number,
    orders.contact_id,
    orders.ordered_at,
    orders.channel,
    lines.product_id,
    coalesce(lines.product_name, products.product_name) as product_name,
    coalesce(lines.category, products.category) as category,
    lines.price,
    lines.quantity
from orders
inner join lines
    on orders.message_id = lines.message_id
left join products
    on lines.product_id = products.product_id
