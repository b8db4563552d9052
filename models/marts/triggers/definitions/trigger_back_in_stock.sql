{#-
    back_in_stock: a catalog change taking a product's stock from 0 to more than 0
    (int_product_changes_detected, anchored when the row lands: its updated_at), for every
    contact who wishlisted the product before it. One series per (contact, restock).
    Cancelled ('sold_out_again') by a later catalog row with the stock back at 0.
-#}

with

versions as (

    select * from {{ ref('int_product_changes_detected') }}

),

restocks as (

    select * from versions
    where is_restock

),

wishlisted as (

    select
        contact_id,
        product_id,
        min(sighted_at) as first_wishlisted_at
    from {{ ref('int_product_sightings_priced') }}
    where sighting_type = 'wishlist'
    group by contact_id, product_id

),

series as (

    select
        wishlisted.contact_id,
        restocks.*
    from restocks
    inner join wishlisted
        on
            restocks.product_id = wishlisted.product_id
            and restocks.changed_at > wishlisted.first_wishlisted_at

),

sold_out_again as (

    select
        restocks.change_id,
        min(versions.changed_at) as sold_out_at
    from restocks
    inner join versions
        on
            restocks.product_id = versions.product_id
            and restocks.changed_at < versions.changed_at
            and versions.stock_quantity = 0
    group by restocks.change_id

)

select
    series.contact_id,
    'back_in_stock' as trigger_key,
    series.change_id as series_id,
    series.changed_at as anchor_at,
    sold_out_again.sold_out_at as cancelled_at,
    case when sold_out_again.sold_out_at is not null then 'sold_out_again' end as cancel_reason,
    cast(null as {{ dbt.type_string() }}) as reentry_key,
    {{ nudge.json_object_text([
        ('product_id', 'series.product_id', 'string'),
        ('product_name', 'series.product_name', 'string'),
        ('category', 'series.category', 'string'),
        ('image_url', 'series.image_url', 'string'),
        ('product_url', 'series.product_url', 'string'),
        ('currency', 'series.currency', 'string'),
        ('price', 'cast(series.price as decimal(18, 2))', 'number'),
        ('stock_quantity', 'series.stock_quantity', 'number'),
    ]) }} as payload
from series
left join sold_out_again
    on series.change_id = sold_out_again.change_id
