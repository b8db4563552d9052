{#-
    One row per attributed Product Viewed up to `as_of`, with the product's category and name
    (the event's own, else the product's current catalog state).
-#}

with

views as (

    select
        message_id,
        contact_id,
        event_at as viewed_at,
        channel,
        {{ nudge.clean_text(nudge.json_text('properties', 'product_id')) }} as product_id,
        {{ nudge.clean_text(nudge.json_text('properties', 'name')) }} as product_name,
        {{ nudge.clean_text(nudge.json_text('properties', 'category')) }} as category,
        {{ nudge.json_number('properties', 'price') }} as price
    from {{ ref('int_events_attributed') }}
    where
        event_name = 'Product Viewed'
        and contact_id is not null
        and event_at <= {{ nudge.as_of() }}

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
    cast(views.price as decimal(18, 2)) as price
from views
left join products
    on views.product_id = products.product_id
