{{ config(**nudge.incremental_config('product_id')) }}
{%- set since = nudge.incremental_since() %}

{#-
    The price_drop series (models/marts/triggers/definitions/trigger_price_drop.sql), by
    product: a catalog change that lowers a product's price (int_product_changes_detected,
    anchored when the row lands: its updated_at) to at least var trigger_price_drop_min_pct
    (10) percent below the price a contact saw when they last viewed or wishlisted it in the
    var trigger_price_drop_sighting_days (30) days before the change. One series per
    (contact, change); re-entry per product (reentry_key = product_id, catalog 30 days).
    Cancelled ('price_restored') by a later catalog row priced above that threshold again.
    A product with a drop but no series keeps one row without a contact, so that it is not
    recomputed each run.
    Incremental per product: a product's series depend only on its catalog versions, its
    sightings and the two vars, so each row holds a hash of those (inputs_fingerprint) and
    a run recomputes only the products whose hash changed (a sighting or a version added,
    changed or gone), the new ones, and drops those without a drop any more.
-#}

{#- the share of the seen price a drop must reach down to: 0.9 for 10% -#}
{%- set keep_share = (100 - var('trigger_price_drop_min_pct')) / 100 %}
{%- set settings_key = "'" ~ keep_share ~ '|' ~ var('trigger_price_drop_sighting_days') ~ "'" %}

with

versions as (

    select * from {{ ref('int_product_changes_detected') }}

),

drops as (

    select * from versions
    where is_price_drop

),

every_sighting as (

    select * from {{ ref('int_product_sightings_priced') }}
    where seen_price > 0

),

input_fingerprints as (

    select
        product_rows.product_id,
        {{ nudge.fingerprint_agg('product_rows.row_key') }} as product_fingerprint
    from (
        select
            product_id,
            {{ nudge.row_fingerprint(["'sighting'", 'message_id', 'contact_id', 'sighted_at', 'seen_price']) }} as row_key
        from every_sighting
        union all
        select
            product_id,
            {{ nudge.row_fingerprint([
                "'version'", 'change_id', 'changed_at', 'price', 'is_price_drop', 'product_name',
                'category', 'currency', 'image_url', 'product_url',
            ]) }} as row_key
        from versions
    ) as product_rows
    where product_rows.product_id in (select drops.product_id from drops)
    group by product_rows.product_id

),

product_fingerprints as (

    select
        product_id,
        {{ nudge.row_fingerprint([settings_key, 'product_fingerprint']) }} as inputs_fingerprint
    from input_fingerprints

),

{% if is_incremental() -%}
    -- the products to recompute
    affected as (

        {{ nudge.keys_with_changed_fingerprint('product_fingerprints', 'product_id', 'inputs_fingerprint', since) }}

    ),
{%- endif %}

products as (

    select product_fingerprints.*
    from product_fingerprints
    {%- if since is not none %}
        inner join affected
            on product_fingerprints.product_id = affected.product_id
    {%- endif %}

),

sightings as (

    select every_sighting.*
    from every_sighting
    inner join products
        on every_sighting.product_id = products.product_id

),

-- ranked on narrow rows; the change's own columns join the one sighting kept
seen_before_drop as (

    select
        sightings.contact_id,
        sightings.seen_price,
        drops.change_id,
        row_number() over (
            partition by sightings.contact_id, drops.change_id
            order by sightings.sighted_at desc, sightings.message_id desc
        ) as recency_rank
    from drops
    inner join sightings
        on
            drops.product_id = sightings.product_id
            and drops.changed_at > sightings.sighted_at
            and {{ dbt.dateadd('day', -1 * var('trigger_price_drop_sighting_days'), 'drops.changed_at') }} <= sightings.sighted_at

),

qualified as (

    select
        seen_before_drop.contact_id,
        seen_before_drop.seen_price,
        drops.change_id,
        drops.product_id,
        drops.changed_at,
        drops.product_name,
        drops.category,
        drops.currency,
        drops.price as new_price,
        drops.image_url,
        drops.product_url
    from seen_before_drop
    inner join drops
        on seen_before_drop.change_id = drops.change_id
    where
        seen_before_drop.recency_rank = 1
        and drops.price <= seen_before_drop.seen_price * {{ keep_share }}

),

restored as (

    select
        qualified.contact_id,
        qualified.change_id,
        min(versions.changed_at) as restored_at
    from qualified
    inner join versions
        on
            qualified.product_id = versions.product_id
            and qualified.changed_at < versions.changed_at
            and qualified.seen_price * {{ keep_share }} < versions.price
    group by qualified.contact_id, qualified.change_id

),

series as (

    select
        qualified.contact_id,
        'price_drop' as trigger_key,
        qualified.change_id as series_id,
        qualified.changed_at as anchor_at,
        restored.restored_at as cancelled_at,
        case when restored.restored_at is not null then 'price_restored' end as cancel_reason,
        qualified.product_id as reentry_key,
        {{ nudge.json_object_text([
            ('product_id', 'qualified.product_id', 'string'),
            ('product_name', 'qualified.product_name', 'string'),
            ('category', 'qualified.category', 'string'),
            ('image_url', 'qualified.image_url', 'string'),
            ('product_url', 'qualified.product_url', 'string'),
            ('currency', 'qualified.currency', 'string'),
            ('old_price', 'cast(qualified.seen_price as decimal(18, 2))', 'number'),
            ('new_price', 'cast(qualified.new_price as decimal(18, 2))', 'number'),
        ]) }} as payload
    from qualified
    left join restored
        on
            qualified.contact_id = restored.contact_id
            and qualified.change_id = restored.change_id

),

final as (

    select
        products.product_id,
        series.contact_id,
        series.trigger_key,
        series.series_id,
        series.anchor_at,
        series.cancelled_at,
        series.cancel_reason,
        series.reentry_key,
        series.payload,
        products.inputs_fingerprint,
        {{ nudge.as_of() }} as processed_as_of
    from products
    left join series
        on products.product_id = series.reentry_key

)

{{ nudge.replace_keys('final', 'product_id', 'affected', since) }}
