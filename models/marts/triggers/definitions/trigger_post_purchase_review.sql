{{ config(**nudge.incremental_config('contact_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('int_events_attributed')]) %}

{#-
    post_purchase_review: every completed order of a contact (any channel), anchored when it
    was placed; series_id = order_id. Cancelled ('all_products_reviewed') once the contact
    has reviewed every product of the order after placing it, at the last of those
    reviews. Payload: the order and its products (name, price, quantity, image, URL).
    Incremental per contact: a run recomputes the contacts whose events may have changed
    (nudge.changed_contacts: their orders and reviews), and every contact when
    a product's name, image or URL in the catalog changed (settings_fingerprint); a change
    to this SQL needs `--full-refresh`.
-#}

-- depends_on: {{ ref('int_contact_changes_detected') }}

{%- set catalog_fingerprint = nudge.catalog_display_fingerprint() %}
{%- set since = nudge.since_unless_settings_changed(
    since, '(' ~ catalog_fingerprint ~ ')', "a product's name, image or URL changed in the catalog"
) %}
{%- set touched = nudge.touched_keys('contact_id', nudge.changed_contacts(since)) %}

with

{{ touched.cte }}

catalog_fingerprint as (

    {{ catalog_fingerprint }}

),

orders as (

    select * from {{ ref('int_orders_netted') }}
    where
        contact_id is not null
        and ordered_at <= {{ nudge.as_of() }}
        and {{ touched.filter }}

),

reviews as (

    select * from {{ ref('int_product_reviews_parsed') }}
    where {{ touched.filter }}

),

order_products as (

    select
        order_lines.order_id,
        order_lines.product_id,
        min(order_lines.line_number) as line_number,
        max(order_lines.product_name) as product_name,
        max(order_lines.price) as price,
        sum(order_lines.quantity) as quantity
    from {{ ref('int_order_lines_unnested') }} as order_lines
    inner join orders
        on order_lines.order_id = orders.order_id
    group by order_lines.order_id, order_lines.product_id

),

first_reviews as (

    select
        order_products.order_id,
        order_products.product_id,
        min(reviews.reviewed_at) as reviewed_at
    from order_products
    inner join orders
        on order_products.order_id = orders.order_id
    left join reviews
        on
            orders.contact_id = reviews.contact_id
            and order_products.product_id = reviews.product_id
            and orders.ordered_at <= reviews.reviewed_at
    group by order_products.order_id, order_products.product_id

),

review_progress as (

    select
        order_id,
        count(*) as products,
        count(reviewed_at) as reviewed_products,
        max(reviewed_at) as last_reviewed_at
    from first_reviews
    group by order_id

),

products as (

    select * from {{ ref('int_products_current') }}

),

order_items as (

    select
        order_products.order_id,
        {{ nudge.json_array_agg_text(
            nudge.json_object_text([
                ('product_id', 'order_products.product_id', 'string'),
                ('name', 'coalesce(order_products.product_name, products.product_name)', 'string'),
                ('price', 'cast(order_products.price as decimal(18, 2))', 'number'),
                ('quantity', 'cast(order_products.quantity as ' ~ dbt.type_int() ~ ')', 'number'),
                ('image_url', 'products.image_url', 'string'),
                ('url', 'products.product_url', 'string'),
            ]),
            'order_products.line_number',
        ) }} as items
    from order_products
    left join products
        on order_products.product_id = products.product_id
    group by order_products.order_id

),

final as (

    select
        orders.contact_id,
        'post_purchase_review' as trigger_key,
        orders.order_id as series_id,
        orders.ordered_at as anchor_at,
        case
            when review_progress.reviewed_products = review_progress.products then review_progress.last_reviewed_at
        end as cancelled_at,
        case
            when review_progress.reviewed_products = review_progress.products then 'all_products_reviewed'
        end as cancel_reason,
        cast(null as {{ dbt.type_string() }}) as reentry_key,
        {{ nudge.json_object_text([
            ('order_id', 'orders.order_id', 'string'),
            ('ordered_at', nudge.timestamp_key('orders.ordered_at'), 'string'),
            ('channel', 'orders.channel', 'string'),
            ('order_total', 'orders.order_total', 'number'),
            ('products', 'order_items.items', 'json'),
        ]) }} as payload,
        catalog_fingerprint.settings_fingerprint,
        {{ nudge.as_of() }} as processed_as_of
    from orders
    cross join catalog_fingerprint
    inner join order_items
        on orders.order_id = order_items.order_id
    inner join review_progress
        on orders.order_id = review_progress.order_id

)

{{ nudge.replace_keys('final', 'contact_id', 'touched', since) }}
