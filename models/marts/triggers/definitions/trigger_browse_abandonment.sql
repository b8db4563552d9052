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
-#}

{%- set window_days = var('trigger_browse_window_days') %}
{%- set recommendations = var('trigger_recommended_products') %}

with

catalog as (

    select * from {{ ref('trigger_catalog') }}

),

burst_gap as (

    select step_1_delay_minutes as gap_minutes
    from catalog
    where trigger_key = 'browse_abandonment'

),

cart_step_span as (

    select coalesce(step_3_delay_minutes, step_2_delay_minutes, step_1_delay_minutes) as last_step_minutes
    from catalog
    where trigger_key = 'cart_abandonment'

),

every_view as (

    select * from {{ ref('int_product_views_enriched') }}
    where product_id is not null

),

-- a product the contact viewed fewer times than it takes in all never qualifies (most
-- products are viewed once): the windows below sort only the others' views
viewed_enough as (

    select
        contact_id,
        product_id
    from every_view
    group by contact_id, product_id
    having count(*) >= {{ var('trigger_browse_min_views') }}

),

views as (

    select every_view.*
    from every_view
    inner join viewed_enough
        on
            every_view.contact_id = viewed_enough.contact_id
            and every_view.product_id = viewed_enough.product_id

),

sequenced as (

    select
        views.*,
        case
            when
                lag(views.viewed_at) over (
                    partition by views.contact_id, views.product_id
                    order by views.viewed_at, views.message_id
                ) > {{ dbt.dateadd('minute', '-1 * burst_gap.gap_minutes', 'views.viewed_at') }}
                then 0
            else 1
        end as starts_burst
    from views
    cross join burst_gap

),

numbered as (

    select
        *,
        sum(starts_burst) over (
            partition by contact_id, product_id
            order by viewed_at, message_id
            rows between unbounded preceding and current row
        ) as burst_number
    from sequenced

),

bursts as (

    select
        contact_id,
        product_id,
        burst_number,
        min(viewed_at) as first_viewed_at,
        max(viewed_at) as last_viewed_at
    from numbered
    group by contact_id, product_id, burst_number

),

qualified as (

    select
        bursts.contact_id,
        bursts.product_id,
        bursts.first_viewed_at,
        bursts.last_viewed_at,
        {{ dbt.dateadd('day', -1 * window_days, 'bursts.last_viewed_at') }} as window_started_at
    from bursts
    inner join views
        on
            bursts.contact_id = views.contact_id
            and bursts.product_id = views.product_id
            and bursts.last_viewed_at >= views.viewed_at
            and {{ dbt.dateadd('day', -1 * window_days, 'bursts.last_viewed_at') }} < views.viewed_at
    group by bursts.contact_id, bursts.product_id, bursts.first_viewed_at, bursts.last_viewed_at
    having count(*) >= {{ var('trigger_browse_min_views') }}

),

product_events as (

    select
        contact_id,
        product_id,
        event_at,
        'product_added' as reason
    from {{ ref('int_cart_events_parsed') }}
    where event_name = 'Product Added'
    union all
    select
        contact_id,
        product_id,
        ordered_at as event_at,
        'product_bought' as reason
    from {{ ref('int_order_lines_unnested') }}
    where
        contact_id is not null
        and ordered_at <= {{ nudge.as_of() }}

),

product_cancels as (

    select
        qualified.contact_id,
        qualified.product_id,
        qualified.first_viewed_at,
        product_events.event_at as cancelled_at,
        product_events.reason as cancel_reason
    from qualified
    inner join product_events
        on
            qualified.contact_id = product_events.contact_id
            and qualified.product_id = product_events.product_id
            and qualified.window_started_at <= product_events.event_at

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
        overlap_at as cancelled_at,
        'cart_abandonment_active' as cancel_reason
    from cart_overlaps
    where
        overlap_at <= cart_active_until
        and (cart_cancelled_at is null or cart_cancelled_at > overlap_at)

),

cancels as (

    select * from product_cancels
    union all
    select * from cart_cancels

),

first_cancels as (

    select
        *,
        row_number() over (
            partition by contact_id, product_id, first_viewed_at
            order by
                cancelled_at,
                case cancel_reason when 'product_bought' then 1 when 'product_added' then 2 else 3 end
        ) as cancel_rank
    from cancels

),

products as (

    select * from {{ ref('int_products_ranked') }}

),

-- the latest view's name, category and price stand in where the catalog has none: ranked
-- only for those products, not for every view
latest_views as (

    select
        views.contact_id,
        views.product_id,
        views.product_name,
        views.category,
        views.price,
        row_number() over (
            partition by views.contact_id, views.product_id
            order by views.viewed_at desc, views.message_id desc
        ) as recency_rank
    from views
    left join products
        on views.product_id = products.product_id
    where
        products.product_name is null
        or products.category is null
        or products.price is null

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
    qualified.contact_id,
    'browse_abandonment' as trigger_key,
    {{ dbt.concat(['qualified.product_id', "'@'", nudge.timestamp_key('qualified.first_viewed_at')]) }} as series_id,
    qualified.last_viewed_at as anchor_at,
    first_cancels.cancelled_at,
    first_cancels.cancel_reason,
    qualified.product_id as reentry_key,
    {{ nudge.json_object_text([
        ('product', nudge.json_object_text([
            ('product_id', 'qualified.product_id', 'string'),
            ('name', 'coalesce(products.product_name, latest_views.product_name)', 'string'),
            ('category', 'coalesce(products.category, latest_views.category)', 'string'),
            ('price', 'cast(coalesce(products.price, latest_views.price) as decimal(18, 2))', 'number'),
            ('image_url', 'products.image_url', 'string'),
            ('url', 'products.product_url', 'string'),
        ]), 'json'),
        ('first_viewed_at', nudge.timestamp_key('qualified.first_viewed_at'), 'string'),
        ('last_viewed_at', nudge.timestamp_key('qualified.last_viewed_at'), 'string'),
        ('recommended_products', "coalesce(recommended.recommended_products, '[]')", 'json'),
    ]) }} as payload
from qualified
left join first_cancels
    on
        qualified.contact_id = first_cancels.contact_id
        and qualified.product_id = first_cancels.product_id
        and qualified.first_viewed_at = first_cancels.first_viewed_at
        and first_cancels.cancel_rank = 1
left join products
    on qualified.product_id = products.product_id
left join latest_views
    on
        qualified.contact_id = latest_views.contact_id
        and qualified.product_id = latest_views.product_id
        and latest_views.recency_rank = 1
left join recommended
    on qualified.product_id = recommended.product_id
