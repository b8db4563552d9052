{{ config(**nudge.incremental_config('message_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('int_events_attributed')], rebuilt=[ref('int_product_views_parsed')]) %}

{#-
    One row per Product Viewed or Product Added to Wishlist of a known contact up to as_of,
    with the price the contact saw: the event's own price, else the catalog price in effect
    at that instant (int_product_changes_detected), null when neither is known. The current
    version's open end is far_future_timestamp(), not `valid_until is null or ...`: with
    only comparisons the join is a hash join on product_id, not a nested loop.
    Incremental by message_id: a run re-prices the views and wishlist adds
    int_events_attributed wrote since the last run (or whose time came), and every sighting
    of the products whose catalog history changed (catalog_fingerprint: a hash of the
    product's versions, stored on each of its rows).
-#}

{%- set catalog_fingerprints -%}
    select
        product_id,
        {{ nudge.fingerprint_agg(nudge.row_fingerprint(['changed_at', 'valid_until', 'price'])) }} as catalog_fingerprint
    from {{ ref('int_product_changes_detected') }}
    group by product_id
{%- endset %}

{%- set affected -%}
    select changed.message_id
    from ({{ nudge.attributed_events_changed(since, time_passed=true) }}) as changed
    where {{ nudge.text_in('changed.event_name', ['Product Viewed', 'Product Added to Wishlist']) }}
    {%- if since is not none %}
        union
        select held.message_id
        from {{ this }} as held
        where held.product_id in (
            select held_products.product_id
            from (select distinct product_id, catalog_fingerprint from {{ this }}) as held_products
            left join ({{ catalog_fingerprints }}) as now_held
                on held_products.product_id = now_held.product_id
            where coalesce(held_products.catalog_fingerprint, '-') <> coalesce(now_held.catalog_fingerprint, '-')
        )
    {%- endif %}
{%- endset %}
{%- set affected_keys = nudge.touched_keys('message_id', affected, 'affected') %}

with

{{ affected_keys.cte }}

views as (

    select
        message_id,
        contact_id,
        product_id,
        'view' as sighting_type,
        viewed_at as sighted_at,
        price as event_price
    from {{ ref('int_product_views_parsed') }}
    where
        product_id is not null
        and {{ affected_keys.filter }}

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
        and {{ affected_keys.filter }}

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

),

catalog_fingerprints as (

    {{ catalog_fingerprints }}

),

final as (

    select
        sightings.message_id,
        sightings.contact_id,
        sightings.product_id,
        sightings.sighting_type,
        sightings.sighted_at,
        cast(coalesce(sightings.event_price, catalog_versions.price) as decimal(18, 2)) as seen_price,
        sightings.event_price is not null as is_price_from_event,
        catalog_fingerprints.catalog_fingerprint,
        {{ nudge.as_of() }} as processed_as_of
    from sightings
    left join catalog_versions
        on
            sightings.product_id = catalog_versions.product_id
            and sightings.sighted_at >= catalog_versions.changed_at
            and sightings.sighted_at < coalesce(catalog_versions.valid_until, {{ nudge.far_future_timestamp() }})
    left join catalog_fingerprints
        on sightings.product_id = catalog_fingerprints.product_id

)

{{ nudge.replace_keys('final', 'message_id', 'affected', since) }}
