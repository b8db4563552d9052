{#-
    cross_sell: every completed order of a contact (any channel), anchored when it was
    placed; series_id = order_id. Payload: the order's products (int_order_baskets_listed)
    and its basket's recommendations (int_basket_recommendations_ranked: up to var
    trigger_recommended_products in-stock products most often bought together with the
    order's products, never one of its own); an order with no such product is no series.
    Cancelled ('order_completed') by the contact's next order.
-#}

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

products as (

    select * from {{ ref('int_products_current') }}

),

recommended as (

    select
        recommendations.basket_product_ids,
        {{ nudge.json_array_agg_text(
            nudge.json_object_text([
                ('product_id', 'recommendations.product_id', 'string'),
                ('name', 'products.product_name', 'string'),
                ('price', 'products.price', 'number'),
                ('image_url', 'products.image_url', 'string'),
                ('url', 'products.product_url', 'string'),
                ('bought_together', 'recommendations.bought_together', 'number'),
            ]),
            'recommendations.recommendation_rank',
        ) }} as recommended_products
    from {{ ref('int_basket_recommendations_ranked') }} as recommendations
    inner join products
        on recommendations.product_id = products.product_id
    group by recommendations.basket_product_ids

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
        ('bought_product_ids', 'baskets.basket_product_ids', 'json'),
        ('recommended_products', 'recommended.recommended_products', 'json'),
    ]) }} as payload
from orders
inner join {{ ref('int_order_baskets_listed') }} as baskets
    on orders.order_id = baskets.order_id
inner join recommended
    on baskets.basket_product_ids = recommended.basket_product_ids
