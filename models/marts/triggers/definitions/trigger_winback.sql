{#-
    Winback: every completed order (any channel) anchors a series, series_id = order_id;
    steps at 30, 60 (incentive) and 90 days come from the catalog. Any later order cancels
    it (order_completed), so only the contact's last order can reach its steps. Orders
    placed more than `winback_lookback_days` before as_of are not read: their steps are
    long past, and an order's next one is never older than it. The payload recalls the
    order and its products.
-#}

with

recent_orders as (

    select
        order_id,
        contact_id,
        ordered_at,
        net_total,
        lead(ordered_at) over (
            partition by contact_id
            order by ordered_at, order_id
        ) as next_ordered_at
    from {{ ref('int_orders_netted') }}
    where
        contact_id is not null
        and ordered_at <= {{ nudge.as_of() }}
        and ordered_at >= {{ dbt.dateadd('day', -1 * var('winback_lookback_days'), nudge.as_of()) }}

),

products as (

    select * from {{ ref('int_products_current') }}

),

order_items as (

    select
        order_lines.order_id,
        {{ nudge.json_array_agg_text(
            nudge.json_object_text([
                ('product_id', 'order_lines.product_id', 'string'),
                ('name', 'coalesce(order_lines.product_name, order_lines.product_id)', 'string'),
                ('image_url', 'products.image_url', 'string'),
                ('url', 'products.product_url', 'string'),
            ]),
            'order_lines.line_number'
        ) }} as items_json
    from {{ ref('int_order_lines_unnested') }} as order_lines
    inner join recent_orders
        on order_lines.order_id = recent_orders.order_id
    left join products
        on order_lines.product_id = products.product_id
    group by order_lines.order_id

)

select
    recent_orders.contact_id,
    'winback' as trigger_key,
    recent_orders.order_id as series_id,
    recent_orders.ordered_at as anchor_at,
    recent_orders.next_ordered_at as cancelled_at,
    case when recent_orders.next_ordered_at is not null then 'order_completed' end as cancel_reason,
    cast(null as {{ dbt.type_string() }}) as reentry_key,
    {{ nudge.json_object_text([
        ('last_order_id', 'recent_orders.order_id', 'string'),
        ('last_ordered_at', nudge.timestamp_key('recent_orders.ordered_at'), 'string'),
        ('last_order_total', 'recent_orders.net_total', 'number'),
        ('items', "coalesce(order_items.items_json, '[]')", 'json'),
    ]) }} as payload
from recent_orders
left join order_items
    on recent_orders.order_id = order_items.order_id
