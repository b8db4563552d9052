{#-
    browse_abandonment: a product viewed var trigger_browse_min_views (2) or more times
    within var trigger_browse_window_days (7), not added to the cart or bought. Views of
    a product closer together than the catalog's step-1 delay (4h) are one burst: the
    series is the burst (series_id = product @ its first view) and anchors on its last
    view, so a view before the email goes out moves it. Cancelled by the first add or
    purchase of the product from the start of the viewing window on ('product_bought',
    'product_added'; before the anchor means it never qualified) or by an active
    cart_abandonment series ('cart_abandonment_active': anchored, not cancelled and not
    past its last step). Re-entry once per product (reentry_key = product_id, catalog
    reentry_days). Payload: the product and var trigger_recommended_products (3) popular
    in-stock products of its category.
    The series, as far as the contact's own events decide them, come from
    int_browse_abandonments_detected (incremental per contact); cart series, catalog and
    recommendations, which change with time or other contacts, are applied here each run.
    The latest view's name, category and price stand in where the catalog has none.
-#}

{%- set recommendations = var('trigger_recommended_products') %}

with

cart_step_span as (

    select coalesce(step_3_delay_minutes, step_2_delay_minutes, step_1_delay_minutes) as last_step_minutes
    from {{ ref('trigger_catalog') }}
    where trigger_key = 'cart_abandonment'

),

qualified as (

    select * from {{ ref('int_browse_abandonments_detected') }}

),

-- a cart series cancels the browse series from the later of the two anchors
cart_overlaps as (

    select
        qualified.contact_id,
        qualified.product_id,
        qualified.first_viewed_at,
        case
            when cart.anchor_at > qualified.last_viewed_at then cart.anchor_at
            else qualified.last_viewed_at
        end as overlap_at,
        cart.cancelled_at as cart_cancelled_at,
        {{ dbt.dateadd('minute', 'cart_step_span.last_step_minutes', 'cart.anchor_at') }} as cart_active_until
    from qualified
    inner join {{ ref('trigger_cart_abandonment') }} as cart
        on qualified.contact_id = cart.contact_id
    cross join cart_step_span

),

cart_cancels as (

    select
        contact_id,
        product_id,
        first_viewed_at,
        min(overlap_at) as cancelled_at
    from cart_overlaps
    where
        overlap_at <= cart_active_until
        and (cart_cancelled_at is null or cart_cancelled_at > overlap_at)
    group by contact_id, product_id, first_viewed_at

),

-- the first cancel; an add or purchase before a cart series at the same instant
series as (

    select
        qualified.contact_id,
        qualified.product_id,
        qualified.first_viewed_at,
        qualified.last_viewed_at,
        qualified.viewed_product_name,
        qualified.viewed_category,
        qualified.viewed_price,
        case
            when
                qualified.cancelled_at is not null
                and (cart_cancels.cancelled_at is null or qualified.cancelled_at <= cart_cancels.cancelled_at)
                then qualified.cancelled_at
            else cart_cancels.cancelled_at
        end as cancelled_at,
        case
            when
                qualified.cancelled_at is not null
                and (cart_cancels.cancelled_at is null or qualified.cancelled_at <= cart_cancels.cancelled_at)
                then qualified.cancel_reason
            when cart_cancels.cancelled_at is not null then 'cart_abandonment_active'
        end as cancel_reason
    from qualified
    left join cart_cancels
        on
            qualified.contact_id = cart_cancels.contact_id
            and qualified.product_id = cart_cancels.product_id
            and qualified.first_viewed_at = cart_cancels.first_viewed_at

),

products as (

    select * from {{ ref('int_products_ranked') }}

),

-- the picks depend only on the viewed product: made once per product, not per series
picks as (

    select
        viewed.product_id,
        candidates.product_id as pick_product_id,
        candidates.product_name,
        candidates.price,
        candidates.image_url,
        candidates.product_url,
        row_number() over (
            partition by viewed.product_id
            order by candidates.category_rank
        ) as pick_rank
    from products as viewed
    inner join products as candidates
        on
            viewed.category = candidates.category
            and viewed.product_id <> candidates.product_id
            and candidates.is_in_stock
            and candidates.category_rank <= {{ recommendations }} + 1

),

recommended as (

    select
        product_id,
        {{ nudge.json_array_agg_text(
            nudge.json_object_text([
                ('product_id', 'pick_product_id', 'string'),
                ('name', 'product_name', 'string'),
                ('price', 'price', 'number'),
                ('image_url', 'image_url', 'string'),
                ('url', 'product_url', 'string'),
            ]),
            'pick_rank',
        ) }} as recommended_products
    from picks
    where pick_rank <= {{ recommendations }}
    group by product_id

)

select
    series.contact_id,
    'browse_abandonment' as trigger_key,
    {{ dbt.concat(['series.product_id', "'@'", nudge.timestamp_key('series.first_viewed_at')]) }} as series_id,
    series.last_viewed_at as anchor_at,
    series.cancelled_at,
    series.cancel_reason,
    series.product_id as reentry_key,
    {{ nudge.json_object_text([
        ('product', nudge.json_object_text([
            ('product_id', 'series.product_id', 'string'),
            ('name', 'coalesce(products.product_name, series.viewed_product_name)', 'string'),
            ('category', 'coalesce(products.category, series.viewed_category)', 'string'),
            ('price', 'cast(coalesce(products.price, series.viewed_price) as decimal(18, 2))', 'number'),
            ('image_url', 'products.image_url', 'string'),
            ('url', 'products.product_url', 'string'),
        ]), 'json'),
        ('first_viewed_at', nudge.timestamp_key('series.first_viewed_at'), 'string'),
        ('last_viewed_at', nudge.timestamp_key('series.last_viewed_at'), 'string'),
        ('recommended_products', "coalesce(recommended.recommended_products, '[]')", 'json'),
    ]) }} as payload
from series
left join products
    on series.product_id = products.product_id
left join recommended
    on series.product_id = recommended.product_id
