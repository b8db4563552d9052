{#-
    One row per product of the current catalog (int_products_current) with its popularity
    over the 90 days up to `as_of`, across every contact: orders holding it and product
    views. category_rank 1 is the category's most popular product in stock (more orders,
    then more views, then product_id); out-of-stock products are ranked after every
    product in stock. Recommendations pick from the top.
-#}

with

products as (

    select * from {{ ref('int_products_current') }}

),

orders as (

    select
        product_id,
        count(distinct order_id) as orders_90d
    from {{ ref('int_order_lines_unnested') }}
    where
        ordered_at <= {{ nudge.as_of() }}
        and ordered_at > {{ dbt.dateadd('day', -90, nudge.as_of()) }}
    group by product_id

),

views as (

    select
        product_id,
        count(*) as views_90d
    from {{ ref('int_product_views_enriched') }}
    where viewed_at > {{ dbt.dateadd('day', -90, nudge.as_of()) }}
    group by product_id

),

joined as (

    select
        products.product_id,
        products.product_name,
        products.category,
        products.price,
        products.image_url,
        products.product_url,
        coalesce(products.stock_quantity, 1) > 0 as is_in_stock,
        coalesce(orders.orders_90d, 0) as orders_90d,
        coalesce(views.views_90d, 0) as views_90d
    from products
    left join orders
        on products.product_id = orders.product_id
    left join views
        on products.product_id = views.product_id

)

select
    product_id,
    product_name,
    category,
    price,
    image_url,
    product_url,
    is_in_stock,
    cast(orders_90d as {{ dbt.type_int() }}) as orders_90d,
    cast(views_90d as {{ dbt.type_int() }}) as views_90d,
    cast(row_number() over (
        partition by category
        order by case when is_in_stock then 0 else 1 end asc, orders_90d desc, views_90d desc, product_id asc
    ) as {{ dbt.type_int() }}) as category_rank
from joined
