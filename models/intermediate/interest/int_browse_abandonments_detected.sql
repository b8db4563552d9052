{{ config(**nudge.incremental_config('contact_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('int_events_attributed')]) %}

{#-
    The browse_abandonment series (models/marts/triggers/definitions/trigger_browse_abandonment.sql)
    as far as they depend on the contact's own events: one row per burst of views of a
    product (views closer together than the catalog's browse step-1 delay) with var
    trigger_browse_min_views (2) or more views within var trigger_browse_window_days (7) up
    to its last view; the first add or purchase of the product from the start of that
    window on; and the product's name, category and price as its latest view sent them.
    The trigger adds what depends on every contact or on the time: cart series, catalog,
    recommendations.
    Incremental per contact: a run recomputes the contacts whose events may have changed
    (nudge.changed_contacts), and every contact when the burst gap or the vars
    changed (settings_fingerprint); a change to this SQL needs `--full-refresh`.
-#}

-- depends_on: {{ ref('int_contact_changes_detected') }}

{%- set window_days = var('trigger_browse_window_days') %}
{%- set min_views = var('trigger_browse_min_views') %}
{%- set burst_gap -%}
    select step_1_delay_minutes as gap_minutes
    from {{ ref('trigger_catalog') }}
    where trigger_key = 'browse_abandonment'
{%- endset %}
{%- set settings_key = "'" ~ window_days ~ '|' ~ min_views ~ "'" %}
{%- set since = nudge.since_unless_settings_changed(
    since, nudge.row_fingerprint([settings_key, '(' ~ burst_gap ~ ')']), 'the browse burst gap or its vars changed'
) %}
{%- set touched = nudge.touched_keys('contact_id', nudge.changed_contacts(since)) %}

with

{{ touched.cte }}

burst_gap as (

    {{ burst_gap }}

),

every_view as (

    select
        message_id,
        contact_id,
        product_id,
        viewed_at,
        product_name,
        category,
        price
    from {{ ref('int_product_views_parsed') }}
    where
        product_id is not null
        and {{ touched.filter }}

),

-- a product the contact viewed fewer times than it takes in all never qualifies (most
-- products are viewed once): the windows below sort only the others' views
viewed_enough as (

    select
        contact_id,
        product_id
    from every_view
    group by contact_id, product_id
    having count(*) >= {{ min_views }}

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
    having count(*) >= {{ min_views }}

),

product_events as (

    select
        contact_id,
        product_id,
        event_at,
        'product_added' as reason
    from {{ ref('int_cart_events_parsed') }}
    where
        event_name = 'Product Added'
        and {{ touched.filter }}
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
        and {{ touched.filter }}

),

product_cancels as (

    select
        qualified.contact_id,
        qualified.product_id,
        qualified.first_viewed_at,
        product_events.event_at as cancelled_at,
        product_events.reason as cancel_reason,
        row_number() over (
            partition by qualified.contact_id, qualified.product_id, qualified.first_viewed_at
            order by
                product_events.event_at,
                case product_events.reason when 'product_bought' then 1 else 2 end
        ) as cancel_rank
    from qualified
    inner join product_events
        on
            qualified.contact_id = product_events.contact_id
            and qualified.product_id = product_events.product_id
            and qualified.window_started_at <= product_events.event_at

),

latest_views as (

    select
        contact_id,
        product_id,
        product_name,
        category,
        price,
        row_number() over (
            partition by contact_id, product_id
            order by viewed_at desc, message_id desc
        ) as recency_rank
    from views

),

final as (

    select
        qualified.contact_id,
        qualified.product_id,
        qualified.first_viewed_at,
        qualified.last_viewed_at,
        product_cancels.cancelled_at,
        product_cancels.cancel_reason,
        latest_views.product_name as viewed_product_name,
        latest_views.category as viewed_category,
        latest_views.price as viewed_price,
        {{ nudge.row_fingerprint([settings_key, 'burst_gap.gap_minutes']) }} as settings_fingerprint,
        {{ nudge.as_of() }} as processed_as_of
    from qualified
    cross join burst_gap
    left join product_cancels
        on
            qualified.contact_id = product_cancels.contact_id
            and qualified.product_id = product_cancels.product_id
            and qualified.first_viewed_at = product_cancels.first_viewed_at
            and product_cancels.cancel_rank = 1
    left join latest_views
        on
            qualified.contact_id = latest_views.contact_id
            and qualified.product_id = latest_views.product_id
            and latest_views.recency_rank = 1

)

{{ nudge.replace_keys('final', 'contact_id', 'touched', since) }}
