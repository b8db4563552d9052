{#-
    One row per contact whose cart holds items as of `as_of` (an open line in
    int_cart_lines_netted): what is in it, its value at the prices seen, and the last cart
    activity (an add or remove since the lines were last bought, open lines or not).
-#}

with

lines as (

    select * from {{ ref('int_cart_lines_netted') }}

),

latest_cart as (

    select
        contact_id,
        cart_id,
        row_number() over (
            partition by contact_id
            order by last_added_at desc, product_id desc
        ) as recency_rank
    from lines
    where is_open

),

summarized as (

    select
        contact_id,
        sum(case when is_open then 1 else 0 end) as cart_items,
        sum(open_quantity) as cart_quantity,
        sum(case when is_open then open_quantity * coalesce(price, 0) else 0 end) as cart_value,
        min(case when is_open then first_added_at end) as cart_started_at,
        max(last_activity_at) as last_cart_activity_at
    from lines
    group by contact_id

)

select
    summarized.contact_id,
    latest_cart.cart_id,
    cast(summarized.cart_items as {{ dbt.type_int() }}) as cart_items,
    cast(summarized.cart_quantity as {{ dbt.type_int() }}) as cart_quantity,
    cast(summarized.cart_value as decimal(18, 2)) as cart_value,
    summarized.cart_started_at,
    summarized.last_cart_activity_at
from summarized
inner join latest_cart
    on
        summarized.contact_id = latest_cart.contact_id
        and latest_cart.recency_rank = 1
where summarized.cart_items > 0
