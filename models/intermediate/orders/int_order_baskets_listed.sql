{#-
    One row per order placed up to `as_of` with its basket: its distinct product_ids as a
    sorted JSON array, the key cross-sell ranks recommendations by
    (int_basket_recommendations_ranked) and its payload's bought_product_ids.
-#}

with

order_products as (

    select distinct
        order_id,
        product_id
    from {{ ref('int_order_lines_unnested') }}
    where ordered_at <= {{ nudge.as_of() }}

)

select
    order_id,
    {{ nudge.json_array_agg_text(nudge.json_value_text('product_id', 'string'), 'product_id') }} as basket_product_ids
from order_products
group by order_id
