{{ config(materialized='view') }}

{#-
    One row per attributed Product Viewed up to `as_of`, with the product's category and name
    (the event's own, else the product's current catalog state). A view over the parsed
    views: the catalog may change any product's row, so the join is redone each run anyway,
    and most readers keep only the last 30 or 90 days, which the engine then reads alone
    instead of a table of every view written again each run.
-#}

with

views as (

    select * from {{ ref('int_product_views_parsed') }}

),

products as (

    select * from {{ ref('int_products_current') }}

)

select
    views.message_id,
    views.contact_id,
    views.viewed_at,
    views.channel,
    views.product_id,
    coalesce(views.product_name, products.product_name) as product_name,
    coalesce(views.category, products.category) as category,
    views.price
from views
left join products
    on views.product_id = products.product_id
