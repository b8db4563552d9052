{#-
    category_interest: entering a category_browser__<category> segment (segment_transitions,
    recorded by the run that saw it). series_id = the entry's transition_key; re-entry once
    per category per 30 days (catalog), reentry_key = the category key.

    anchor_at is the contact's last view in that category at or before the entry (the
    browsing that made them a member), else the entry time: on a first deployment, when
    every current member is recorded as entering at once, the staleness guardrail then
    expires the entries whose browsing is old and keeps the fresh ones (see trigger_vip_welcome).

    Payload: the category and up to var trigger_category_interest_products (4) of its
    products in stock (or of unknown stock), new ones first (listed within var
    trigger_category_new_product_days, 30, before as_of), then the most units ordered in
    the last 30 days, then product_id.
-#}

{%- set prefix = 'category_browser__' %}

with

entries as (

    select
        transition_key,
        contact_id,
        substr(segment_key, {{ prefix | length + 1 }}) as category_key,
        transitioned_at as entered_at
    from {{ ref('segment_transitions') }}
    where
        segment_key like '{{ prefix }}%'
        and transition = 'entered'
        and transitioned_at <= {{ nudge.as_of() }}

),

category_views as (

    select
        contact_id,
        {{ nudge.category_segment_key('category') }} as category_key,
        category,
        viewed_at
    from {{ ref('int_product_views_enriched') }}
    where category is not null

),

evidenced as (

    select
        entries.transition_key,
        entries.contact_id,
        entries.category_key,
        entries.entered_at,
        max(category_views.viewed_at) as last_viewed_at,
        max(category_views.category) as category
    from entries
    left join category_views
        on
            entries.contact_id = category_views.contact_id
            and entries.category_key = category_views.category_key
            and entries.entered_at >= category_views.viewed_at
    group by entries.transition_key, entries.contact_id, entries.category_key, entries.entered_at

),

listings as (

    select
        product_id,
        min(changed_at) as listed_at
    from {{ ref('int_product_changes_detected') }}
    group by product_id

),

units_ordered as (

    select
        product_id,
        sum(quantity) as units_30d
    from {{ ref('int_order_lines_unnested') }}
    where
        ordered_at > {{ dbt.dateadd('day', -30, nudge.as_of()) }}
        and ordered_at <= {{ nudge.as_of() }}
    group by product_id

),

products as (

    select
        current_products.product_id,
        current_products.product_name,
        current_products.price,
        current_products.currency,
        current_products.image_url,
        current_products.product_url,
        {{ nudge.category_segment_key('current_products.category') }} as category_key,
        coalesce(
            listings.listed_at > {{ dbt.dateadd('day', -1 * var('trigger_category_new_product_days'), nudge.as_of()) }},
            false
        ) as is_new,
        coalesce(units_ordered.units_30d, 0) as units_30d
    from {{ ref('int_products_current') }} as current_products
    left join listings
        on current_products.product_id = listings.product_id
    left join units_ordered
        on current_products.product_id = units_ordered.product_id
    where
        current_products.category is not null
        and (current_products.stock_quantity is null or current_products.stock_quantity > 0)

),

ranked_products as (

    select
        *,
        row_number() over (
            partition by category_key
            order by case when is_new then 0 else 1 end asc, units_30d desc, product_id asc
        ) as product_rank
    from products

),

featured as (

    select
        category_key,
        {{ nudge.json_array_agg_text(
            nudge.json_object_text([
                ('product_id', 'product_id', 'string'),
                ('product_name', 'product_name', 'string'),
                ('price', 'cast(price as decimal(18, 2))', 'number'),
                ('currency', 'currency', 'string'),
                ('image_url', 'image_url', 'string'),
                ('product_url', 'product_url', 'string'),
                ('is_new', "case when is_new then 'true' else 'false' end", 'json'),
            ]),
            'product_rank',
        ) }} as products
    from ranked_products
    where product_rank <= {{ var('trigger_category_interest_products') }}
    group by category_key

)

select
    evidenced.contact_id,
    'category_interest' as trigger_key,
    evidenced.transition_key as series_id,
    coalesce(evidenced.last_viewed_at, evidenced.entered_at) as anchor_at,
    cast(null as {{ dbt.type_timestamp() }}) as cancelled_at,
    cast(null as {{ dbt.type_string() }}) as cancel_reason,
    evidenced.category_key as reentry_key,
    {{ nudge.json_object_text([
        ('category', 'coalesce(evidenced.category, evidenced.category_key)', 'string'),
        ('category_key', 'evidenced.category_key', 'string'),
        ('products', "coalesce(featured.products, '[]')", 'json'),
    ]) }} as payload
from evidenced
left join featured
    on evidenced.category_key = featured.category_key
