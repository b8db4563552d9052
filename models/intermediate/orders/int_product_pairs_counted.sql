{#-
    Products bought together: one row per ordered pair of distinct products that appear in
    the same order, with the number of orders (every contact's, any channel, up to `as_of`)
    holding both. Cross-sell recommends a product's most frequent partners.
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
    bought.product_id,
    partner.product_id as paired_product_id,
    cast(count(*) as {{ dbt.type_int() }}) as orders_together
from order_products as bought
inner join order_products as partner
    on
        bought.order_id = partner.order_id
        and bought.product_id <> partner.product_id
group by bought.product_id, partner.product_id
