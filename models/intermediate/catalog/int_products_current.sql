{#-
    One row per product: its current state as of `as_of`, the latest catalog row
    (stg_product_catalog only holds rows in effect by then).
-#}

with

catalog as (

    select * from {{ ref('stg_product_catalog') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by product_id
            order by updated_at desc
        ) as recency_rank
    from catalog

)

select
    product_id,
    product_name,
    category,
    price,
    currency,
    stock_quantity,
    image_url,
    product_url,
    replenishment_days,
    updated_at
from ranked
where recency_rank = 1
