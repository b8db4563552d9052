{#-
    cross_sell: every completed order of a contact (any channel), anchored when it was
    placed; series_id = order_id. Payload: up to var trigger_recommended_products (3) in-stock
    products most often bought together with the order's products (int_product_pairs_counted,
    every contact's orders up to `as_of`; summed over the order's products, ties by
    product_id), never one of the order's own; an order with no such product is no series.
    Cancelled ('order_completed') by the contact's next order.
-#}

{%- set recommendations = var('trigger_recommended_products') %}

with

orders as (

    select
        order_id,
        contact_id,
        ordered_at,
        lead(ordered_at) over (
            partition by contact_id
            order by ordered_at, order_id
        ) as next_ordered_at
    from {{ ref('int_orders_netted') }}
    where
        contact_id is not null
        and ordered_at <= {{ nudge.as_of() }}

),

order_products as (

    select distinct
        order_id,
        product_id
    from {{ ref('int_order_lines_unnested') }}
    where ordered_at <= {{ nudge.as_of() }}

),

candidates as (

    select
        order_products.order_id,
        pairs.paired_product_id as product_id,
        sum(pairs.orders_together) as score
    from order_products
    inner join {{ ref('int_product_pairs_counted') }} as pairs
        on order_products.product_id = pairs.product_id
    left join order_products as already_bought
        on
            order_products.order_id = already_bought.order_id
            and pairs.paired_product_id = already_bought.product_id
    where already_bought.product_id is null
    group by order_products.order_id, pairs.paired_product_id

),

products as (

    select * from {{ ref('int_products_current') }}

),

ranked as (

    select
        candidates.order_id,
        candidates.product_id,
        candidates.score,
        products.product_name,
        products.price,
        products.image_url,
        products.product_url,
        row_number() over (
            partition by candidates.order_id
            order by candidates.score desc, candidates.product_id asc
        ) as pick_rank
    from candidates
    inner join products
        on candidates.product_id = products.product_id
    where coalesce(products.stock_quantity, 1) > 0

),

recommended as (

    select
        order_id,
        {{ nudge.json_array_agg_text(
            nudge.json_object_text([
                ('product_id', 'product_id', 'string'),
                ('name', 'product_name', 'string'),
                ('price', 'price', 'number'),
                ('image_url', 'image_url', 'string'),
                ('url', 'product_url', 'string'),
                ('bought_together', 'cast(score as ' ~ dbt.type_int() ~ ')', 'number'),
            ]),
            'pick_rank',
        ) }} as recommended_products
    from ranked
    where pick_rank <= {{ recommendations }}
    group by order_id

),

bought as (

    select
        order_id,
        {{ nudge.json_array_agg_text(nudge.json_value_text('product_id', 'string'), 'product_id') }} as product_ids
    from order_products
    group by order_id

)

select
    orders.contact_id,
    'cross_sell' as trigger_key,
    orders.order_id as series_id,
    orders.ordered_at as anchor_at,
    orders.next_ordered_at as cancelled_at,
    case when orders.next_ordered_at is not null then 'order_completed' end as cancel_reason,
    cast(null as {{ dbt.type_string() }}) as reentry_key,
    {{ nudge.json_object_text([
        ('order_id', 'orders.order_id', 'string'),
        ('ordered_at', nudge.timestamp_key('orders.ordered_at'), 'string'),
        ('bought_product_ids', 'bought.product_ids', 'json'),
        ('recommended_products', 'recommended.recommended_products', 'json'),
    ]) }} as payload
from orders
inner join recommended
    on orders.order_id = recommended.order_id
inner join bought
    on orders.order_id = bought.order_id
