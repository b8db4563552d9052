{{ config(**nudge.incremental_config('contact_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('int_events_attributed')]) %}

{#-
    Winback: every completed order (any channel) anchors a series, series_id = order_id;
    steps at 30, 60 (incentive) and 90 days come from the catalog. Any later order cancels
    it (order_completed), so only the contact's last order can reach its steps. Orders
    placed more than `winback_lookback_days` before as_of are not read: their steps are
    long past, and an order's next one is never older than it. The payload recalls the
    order and its products.
    Incremental per contact: a run recomputes the contacts whose events may have changed
    (nudge.changed_contacts), those with an order that left the lookback since
    the last run (its series goes), and every contact when a product's name, image or URL
    changed in the catalog or the lookback did (settings_fingerprint); a change to this SQL
    needs `--full-refresh`.
-#}

-- depends_on: {{ ref('int_contact_changes_detected') }}

{%- set lookback_days = var('winback_lookback_days') %}
{%- set settings -%}
    select {{ nudge.row_fingerprint(["'" ~ lookback_days ~ "'", 'catalog.settings_fingerprint']) }} as settings_fingerprint
    from ({{ nudge.catalog_display_fingerprint() }}) as catalog
{%- endset %}
{%- set since = nudge.since_unless_settings_changed(
    since, '(' ~ settings ~ ')', "a product's name, image or URL in the catalog, or winback_lookback_days, changed"
) %}
{%- set touched_contacts -%}
    {{ nudge.changed_contacts(since) }}
    {%- if since is not none %}
        {%- set watermark = nudge.watermark() %}
        union
        select contact_id from {{ this }}
        where
            anchor_at >= {{ dbt.dateadd('day', -1 * lookback_days, nudge.timestamp_literal(watermark)) }}
            and anchor_at <= {{ dbt.dateadd('day', -1 * lookback_days, nudge.as_of()) }}
    {%- endif %}
{%- endset %}
{%- set touched = nudge.touched_keys('contact_id', touched_contacts) %}

with

{{ touched.cte }}

settings as (

    {{ settings }}

),

recent_orders as (

    select
        order_id,
        contact_id,
        ordered_at,
        net_total,
        lead(ordered_at) over (
            partition by contact_id
            order by ordered_at, order_id
        ) as next_ordered_at
    from {{ ref('int_orders_netted') }}
    where
        contact_id is not null
        and ordered_at <= {{ nudge.as_of() }}
        and ordered_at >= {{ dbt.dateadd('day', -1 * lookback_days, nudge.as_of()) }}
        and {{ touched.filter }}

),

products as (

    select * from {{ ref('int_products_current') }}

),

order_items as (

    select
        order_lines.order_id,
        {{ nudge.json_array_agg_text(
            nudge.json_object_text([
                ('product_id', 'order_lines.product_id', 'string'),
                ('name', 'coalesce(order_lines.product_name, order_lines.product_id)', 'string'),
                ('image_url', 'products.image_url', 'string'),
                ('url', 'products.product_url', 'string'),
            ]),
            'order_lines.line_number'
        ) }} as items_json
    from {{ ref('int_order_lines_unnested') }} as order_lines
    inner join recent_orders
        on order_lines.order_id = recent_orders.order_id
    left join products
        on order_lines.product_id = products.product_id
    group by order_lines.order_id

),

final as (

    select
        recent_orders.contact_id,
        'winback' as trigger_key,
        recent_orders.order_id as series_id,
        recent_orders.ordered_at as anchor_at,
        recent_orders.next_ordered_at as cancelled_at,
        case when recent_orders.next_ordered_at is not null then 'order_completed' end as cancel_reason,
        cast(null as {{ dbt.type_string() }}) as reentry_key,
        {{ nudge.json_object_text([
            ('last_order_id', 'recent_orders.order_id', 'string'),
            ('last_ordered_at', nudge.timestamp_key('recent_orders.ordered_at'), 'string'),
            ('last_order_total', 'recent_orders.net_total', 'number'),
            ('items', "coalesce(order_items.items_json, '[]')", 'json'),
        ]) }} as payload,
        settings.settings_fingerprint,
        {{ nudge.as_of() }} as processed_as_of
    from recent_orders
    cross join settings
    left join order_items
        on recent_orders.order_id = order_items.order_id

)

{{ nudge.replace_keys('final', 'contact_id', 'touched', since) }}
