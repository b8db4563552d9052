{#-
    One row per contact and product with cart activity since the contact last bought that
    product (an order line, any channel, empties its cart line): quantities added and
    removed since then, and what is still in the cart (added − removed, never below 0).
    Events up to `as_of` only.
-#}

with

cart_events as (

    select * from {{ ref('int_cart_events_parsed') }}

),

purchases as (

    select
        contact_id,
        product_id,
        max(ordered_at) as last_bought_at
    from {{ ref('int_order_lines_unnested') }}
    where
        contact_id is not null
        and ordered_at <= {{ nudge.as_of() }}
    group by contact_id, product_id

),

products as (

    select * from {{ ref('int_products_current') }}

),

since_last_purchase as (

    select
        cart_events.*,
        purchases.last_bought_at
    from cart_events
    left join purchases
        on
            cart_events.contact_id = purchases.contact_id
            and cart_events.product_id = purchases.product_id
    where purchases.last_bought_at is null or cart_events.event_at > purchases.last_bought_at

),

latest_adds as (

    select
        contact_id,
        product_id,
        cart_id,
        product_name,
        category,
        price,
        row_number() over (
            partition by contact_id, product_id
            order by event_at desc, message_id desc
        ) as recency_rank
    from since_last_purchase
    where event_name = 'Product Added'

),

lines as (

    select
        contact_id,
        product_id,
        sum(case when event_name = 'Product Added' then quantity else 0 end) as added_quantity,
        sum(case when event_name = 'Product Removed' then quantity else 0 end) as removed_quantity,
        min(case when event_name = 'Product Added' then event_at end) as first_added_at,
        max(case when event_name = 'Product Added' then event_at end) as last_added_at,
        max(event_at) as last_activity_at,
        max(last_bought_at) as last_bought_at
    from since_last_purchase
    group by contact_id, product_id

),

netted as (

    select
        lines.*,
        case
            when lines.added_quantity > lines.removed_quantity then lines.added_quantity - lines.removed_quantity
            else 0
        end as open_quantity
    from lines

)

select
    netted.contact_id,
    netted.product_id,
    latest_adds.cart_id,
    coalesce(latest_adds.product_name, products.product_name) as product_name,
    coalesce(latest_adds.category, products.category) as category,
    cast(coalesce(latest_adds.price, products.price) as decimal(18, 2)) as price,
    cast(netted.added_quantity as {{ dbt.type_int() }}) as added_quantity,
    cast(netted.removed_quantity as {{ dbt.type_int() }}) as removed_quantity,
    cast(netted.open_quantity as {{ dbt.type_int() }}) as open_quantity,
    netted.open_quantity > 0 as is_open,
    netted.first_added_at,
    netted.last_added_at,
    netted.last_activity_at,
    netted.last_bought_at
from netted
left join latest_adds
    on
        netted.contact_id = latest_adds.contact_id
        and netted.product_id = latest_adds.product_id
        and latest_adds.recency_rank = 1
left join products
    on netted.product_id = products.product_id
