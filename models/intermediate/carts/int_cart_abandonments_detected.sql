{#-
    One row per cart "burst" of a contact ending within `cart_abandonment_lookback_days`
    of as_of: a run of Product Added / Removed events with gaps under
    `cart_abandonment_idle_minutes`, whose cart still held items at its last event (each
    line: added − removed since the contact last bought that product). The cart
    abandonment trigger anchors at that last activity; the series ends at the next order
    (order_completed) or the next cart activity (cart_emptied when the cart was empty
    after it, else cart_updated: a new burst, a new series). Events up to as_of only.
-#}

{%- set lookback_start = dbt.dateadd('day', -1 * var('cart_abandonment_lookback_days'), nudge.as_of()) %}

with

-- a recent burst's contact has cart activity within the lookback, and its bursts are
-- numbered over all of its events: only those contacts are sequenced (a fraction of all)
cart_events as (

    select * from {{ ref('int_cart_events_parsed') }}
    where
        contact_id in (
            select recent.contact_id from {{ ref('int_cart_events_parsed') }} as recent
            where recent.event_at >= {{ lookback_start }}
        )

),

sequenced as (

    select
        *,
        lag(event_at) over (partition by contact_id order by event_at, message_id) as previous_event_at
    from cart_events

),

burst_starts as (

    select
        *,
        case
            when
                previous_event_at is null
                or event_at >= {{ dbt.dateadd('minute', var('cart_abandonment_idle_minutes'), 'previous_event_at') }}
                then 1
            else 0
        end as starts_burst
    from sequenced

),

numbered as (

    select
        *,
        sum(starts_burst) over (
            partition by contact_id
            order by event_at, message_id
            rows between unbounded preceding and current row
        ) as burst_number
    from burst_starts

),

bursts as (

    select
        contact_id,
        burst_number,
        min(event_at) as started_at,
        max(event_at) as last_activity_at
    from numbered
    group by contact_id, burst_number

),

recent_bursts as (

    select
        bursts.*,
        lead(bursts.started_at) over (partition by bursts.contact_id order by bursts.burst_number) as next_activity_at,
        lead(bursts.burst_number) over (partition by bursts.contact_id order by bursts.burst_number) as next_burst_number
    from bursts
    where bursts.last_activity_at >= {{ lookback_start }}

),

order_lines as (

    select
        contact_id,
        product_id,
        ordered_at
    from {{ ref('int_order_lines_unnested') }}
    where
        contact_id is not null
        and ordered_at <= {{ nudge.as_of() }}

),

-- every cart event up to each recent burst's end, per product
burst_events as (

    select
        recent_bursts.contact_id,
        recent_bursts.burst_number,
        recent_bursts.last_activity_at,
        numbered.product_id,
        numbered.event_name,
        numbered.event_at,
        numbered.message_id,
        numbered.cart_id,
        numbered.product_name,
        numbered.price,
        numbered.quantity
    from recent_bursts
    inner join numbered
        on
            recent_bursts.contact_id = numbered.contact_id
            and recent_bursts.last_activity_at >= numbered.event_at

),

last_purchases as (

    select
        burst_products.contact_id,
        burst_products.burst_number,
        burst_products.product_id,
        max(order_lines.ordered_at) as last_bought_at
    from (
        select distinct
            contact_id,
            burst_number,
            last_activity_at,
            product_id
        from burst_events
    ) as burst_products
    inner join order_lines
        on
            burst_products.contact_id = order_lines.contact_id
            and burst_products.product_id = order_lines.product_id
            and burst_products.last_activity_at >= order_lines.ordered_at
    group by burst_products.contact_id, burst_products.burst_number, burst_products.product_id

),

since_purchase as (

    select
        burst_events.*,
        row_number() over (
            partition by burst_events.contact_id, burst_events.burst_number, burst_events.product_id, burst_events.event_name
            order by burst_events.event_at desc, burst_events.message_id desc
        ) as recency_rank
    from burst_events
    left join last_purchases
        on
            burst_events.contact_id = last_purchases.contact_id
            and burst_events.burst_number = last_purchases.burst_number
            and burst_events.product_id = last_purchases.product_id
    where last_purchases.last_bought_at is null or burst_events.event_at > last_purchases.last_bought_at

),

lines as (

    select
        contact_id,
        burst_number,
        product_id,
        sum(case when event_name = 'Product Added' then quantity else 0 end)
        - sum(case when event_name = 'Product Removed' then quantity else 0 end) as open_quantity,
        max(case when event_name = 'Product Added' and recency_rank = 1 then cart_id end) as cart_id,
        max(case when event_name = 'Product Added' and recency_rank = 1 then product_name end) as product_name,
        max(case when event_name = 'Product Added' and recency_rank = 1 then price end) as price,
        max(case when event_name = 'Product Added' then event_at end) as last_added_at
    from since_purchase
    group by contact_id, burst_number, product_id

),

products as (

    select * from {{ ref('int_products_current') }}

),

open_lines as (

    select
        lines.contact_id,
        lines.burst_number,
        lines.product_id,
        lines.cart_id,
        lines.last_added_at,
        cast(lines.open_quantity as {{ dbt.type_int() }}) as quantity,
        coalesce(lines.product_name, products.product_name, lines.product_id) as product_name,
        cast(coalesce(lines.price, products.price) as decimal(18, 2)) as price,
        products.image_url,
        products.product_url
    from lines
    left join products
        on lines.product_id = products.product_id
    where lines.open_quantity > 0

),

carts as (

    select
        contact_id,
        burst_number,
        max(cart_id) as cart_id,
        cast(count(*) as {{ dbt.type_int() }}) as cart_items,
        cast(sum(quantity) as {{ dbt.type_int() }}) as cart_quantity,
        cast(sum(quantity * coalesce(price, 0)) as decimal(18, 2)) as cart_value,
        {{ nudge.json_array_agg_text(
            nudge.json_object_text([
                ('product_id', 'product_id', 'string'),
                ('name', 'product_name', 'string'),
                ('price', 'price', 'number'),
                ('quantity', 'quantity', 'number'),
                ('image_url', 'image_url', 'string'),
                ('url', 'product_url', 'string'),
            ]),
            'product_id'
        ) }} as cart_items_json
    from open_lines
    group by contact_id, burst_number

),

next_orders as (

    select
        recent_bursts.contact_id,
        recent_bursts.burst_number,
        min(orders.ordered_at) as next_ordered_at
    from recent_bursts
    inner join {{ ref('int_orders_netted') }} as orders
        on
            recent_bursts.contact_id = orders.contact_id
            and recent_bursts.last_activity_at < orders.ordered_at
    where orders.ordered_at <= {{ nudge.as_of() }}
    group by recent_bursts.contact_id, recent_bursts.burst_number

)

select
    recent_bursts.contact_id,
    carts.cart_id,
    recent_bursts.started_at,
    recent_bursts.last_activity_at,
    carts.cart_items,
    carts.cart_quantity,
    carts.cart_value,
    carts.cart_items_json,
    next_orders.next_ordered_at,
    recent_bursts.next_activity_at,
    case
        when next_orders.next_ordered_at is not null
            and (recent_bursts.next_activity_at is null or next_orders.next_ordered_at <= recent_bursts.next_activity_at)
            then next_orders.next_ordered_at
        else recent_bursts.next_activity_at
    end as ended_at,
    case
        when next_orders.next_ordered_at is not null
            and (recent_bursts.next_activity_at is null or next_orders.next_ordered_at <= recent_bursts.next_activity_at)
            then 'order_completed'
        when recent_bursts.next_activity_at is not null and next_carts.contact_id is null then 'cart_emptied'
        when recent_bursts.next_activity_at is not null then 'cart_updated'
    end as end_reason
from recent_bursts
inner join carts
    on
        recent_bursts.contact_id = carts.contact_id
        and recent_bursts.burst_number = carts.burst_number
left join carts as next_carts
    on
        recent_bursts.contact_id = next_carts.contact_id
        and recent_bursts.next_burst_number = next_carts.burst_number
left join next_orders
    on
        recent_bursts.contact_id = next_orders.contact_id
        and recent_bursts.burst_number = next_orders.burst_number
