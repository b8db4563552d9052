{#-
    review_thanks: every product review (int_product_reviews_parsed), once per review:
    series_id = the review's review_key (its review_id, else product @ time), anchored when
    it was written. Never cancelled. Payload: the review (rating) and the product.
-#}

with

reviews as (

    select * from {{ ref('int_product_reviews_parsed') }}

),

products as (

    select * from {{ ref('int_products_current') }}

)

select
    reviews.contact_id,
    'review_thanks' as trigger_key,
    reviews.review_key as series_id,
    reviews.reviewed_at as anchor_at,
    cast(null as {{ dbt.type_timestamp() }}) as cancelled_at,
    cast(null as {{ dbt.type_string() }}) as cancel_reason,
    cast(null as {{ dbt.type_string() }}) as reentry_key,
    {{ nudge.json_object_text([
        ('review_id', 'reviews.review_id', 'string'),
        ('rating', 'reviews.rating', 'number'),
        ('reviewed_at', nudge.timestamp_key('reviews.reviewed_at'), 'string'),
        ('product', nudge.json_object_text([
            ('product_id', 'reviews.product_id', 'string'),
            ('name', 'products.product_name', 'string'),
            ('price', 'products.price', 'number'),
            ('image_url', 'products.image_url', 'string'),
            ('url', 'products.product_url', 'string'),
        ]), 'json'),
    ]) }} as payload
from reviews
left join products
    on reviews.product_id = products.product_id
