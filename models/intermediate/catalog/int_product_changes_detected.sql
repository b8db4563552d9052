{#-
    One row per catalog row in effect by as_of (stg_product_catalog keeps rows with
    updated_at ≤ as_of, the moment a change lands): the product's state from changed_at
    until the next row (valid_until, null for the current state), next to the previous
    row's price and stock. is_price_drop: the price is lower than before; is_restock: stock
    went from 0 to more than 0; is_listing: the product's first row.
-#}

with

catalog as (

    select * from {{ ref('stg_product_catalog') }}

),

sequenced as (

    select
        *,
        row_number() over (partition by product_id order by updated_at) as version_number,
        lag(price) over (partition by product_id order by updated_at) as previous_price,
        lag(stock_quantity) over (partition by product_id order by updated_at) as previous_stock_quantity,
        lead(updated_at) over (partition by product_id order by updated_at) as valid_until
    from catalog

)

select
    {{ dbt.concat(['product_id', "'@'", nudge.timestamp_key('updated_at')]) }} as change_id,
    product_id,
    cast(version_number as {{ dbt.type_int() }}) as version_number,
    updated_at as changed_at,
    valid_until,
    product_name,
    category,
    currency,
    price,
    previous_price,
    stock_quantity,
    previous_stock_quantity,
    image_url,
    product_url,
    version_number = 1 as is_listing,
    coalesce(price < previous_price, false) as is_price_drop,
    coalesce(previous_stock_quantity = 0 and stock_quantity > 0, false) as is_restock
from sequenced
