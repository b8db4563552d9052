{#-
    One row per Product Viewed or Product Added to Wishlist of a known contact up to as_of,
    with the price the contact saw: the event's own price, else the catalog price in effect
    at that instant (int_product_changes_detected), null when neither is known. The current
    version's open end is far_future_timestamp(), not `valid_until is null or ...`: with
    only comparisons the join is a hash join on product_id, not a nested loop.
-#}

with

views as (

    select
        message_id,
        contact_id,
        product_id,
        'view' as sighting_type,
        viewed_at as sighted_at,
        price as event_price
    from {{ ref('int_product_views_parsed') }}
    where product_id is not null

),

wishlist_adds as (

    select
        message_id,
        contact_id,
        {{ nudge.clean_text(nudge.json_text('properties', 'product_id')) }} as product_id,
        'wishlist' as sighting_type,
        event_at as sighted_at,
        cast({{ nudge.json_number('properties', 'price') }} as decimal(18, 2)) as event_price
    from {{ ref('int_events_attributed') }}
    where
        event_name = 'Product Added to Wishlist'
        and contact_id is not null
        and event_at <= {{ nudge.as_of() }}

),

sightings as (

    select * from views
    union all
    select * from wishlist_adds
    where product_id is not null

),

catalog_versions as (

    select
        product_id,
        changed_at,
        valid_until,
        price
    from {{ ref('int_product_changes_detected') }}

)

select
    sightings.message_id,
    sightings.contact_id,
    sightings.product_id,
    sightings.sighting_type,
    sightings.sighted_at,
    cast(coalesce(sightings.event_price, catalog_versions.price) as decimal(18, 2)) as seen_price,
    sightings.event_price is not null as is_price_from_event
from sightings
left join catalog_versions
    on
        sightings.product_id = catalog_versions.product_id
        and sightings.sighted_at >= catalog_versions.changed_at
        and sightings.sighted_at < coalesce(catalog_versions.valid_until, {{ nudge.far_future_timestamp() }})
