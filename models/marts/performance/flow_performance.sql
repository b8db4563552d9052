{#-
    One row per (trigger_key, step, variant) with at least one send confirmed sent
    (docs/contracts/behaviors.md, "Measurement"): volumes, attributed conversions and
    revenue (int_orders_attributed: the latest send opened or clicked within
    `attribution_window_days` before the order) and rates. Rates are fractions of the
    delivered emails, null when none was delivered. conversion_definition names the
    measure (macros/statistics/conversion_definitions.sql); sample_warning is
    'too_few_delivered' under var('benchmark_min_delivered') delivered emails, where one
    email moves a rate by a point or more.
-#}

{%- set dbl = nudge.type_double() %}
{%- set text_type = nudge.engine_type('varchar') %}

with

sends as (

    select * from {{ ref('int_sends_engagement_summarized') }}

),

orders as (

    select * from {{ ref('int_orders_attributed') }}

),

volumes as (

    select
        trigger_key,
        step,
        variant,
        count(*) as sends,
        sum(case when is_delivered then 1 else 0 end) as delivered,
        sum(case when bounced_at is not null then 1 else 0 end) as bounces,
        sum(case when opened_at is not null then 1 else 0 end) as opens,
        sum(case when clicked_at is not null then 1 else 0 end) as clicks,
        sum(case when unsubscribed_at is not null then 1 else 0 end) as unsubscribes,
        sum(case when complained_at is not null then 1 else 0 end) as spam_complaints
    from sends
    group by trigger_key, step, variant

),

conversions as (

    select
        trigger_key,
        step,
        variant,
        count(*) as conversions,
        sum(net_total) as revenue
    from orders
    group by trigger_key, step, variant

),

ranked_conversions as (

    select
        trigger_key,
        step,
        variant,
        minutes_to_conversion,
        row_number() over (
            partition by trigger_key, step, variant
            order by minutes_to_conversion
        ) as order_position,
        count(*) over (partition by trigger_key, step, variant) as total
    from orders

),

medians as (

    {#- the middle value, or the mean of the two middle ones: 2 × order_position in (n, n+1, n+2) #}
    select
        trigger_key,
        step,
        variant,
        avg(cast(minutes_to_conversion as {{ dbl }})) as median_minutes_to_conversion
    from ranked_conversions
    where 2 * order_position in (total, total + 1, total + 2)
    group by trigger_key, step, variant

),

joined as (

    select
        volumes.*,
        coalesce(conversions.conversions, 0) as conversions,
        coalesce(conversions.revenue, 0) as revenue,
        medians.median_minutes_to_conversion
    from volumes
    left join conversions
        on
            volumes.trigger_key = conversions.trigger_key
            and volumes.step = conversions.step
            and volumes.variant = conversions.variant
    left join medians
        on
            volumes.trigger_key = medians.trigger_key
            and volumes.step = medians.step
            and volumes.variant = medians.variant

)

select
    trigger_key
    || '|' || cast(step as {{ text_type }})
    || '|' || variant as performance_key,
    trigger_key,
    step,
    variant,
    cast(sends as {{ dbt.type_int() }}) as sends,
    cast(delivered as {{ dbt.type_int() }}) as delivered,
    cast(bounces as {{ dbt.type_int() }}) as bounces,
    cast(opens as {{ dbt.type_int() }}) as opens,
    cast(clicks as {{ dbt.type_int() }}) as clicks,
    cast(conversions as {{ dbt.type_int() }}) as conversions,
    {{ nudge.conversion_definition('attributed') }} as conversion_definition,
    cast(revenue as decimal(18, 2)) as revenue,
    cast(unsubscribes as {{ dbt.type_int() }}) as unsubscribes,
    cast(spam_complaints as {{ dbt.type_int() }}) as spam_complaints,
    cast(cast(opens as {{ dbl }}) / nullif(delivered, 0) as decimal(18, 6)) as open_rate,
    cast(cast(clicks as {{ dbl }}) / nullif(delivered, 0) as decimal(18, 6)) as click_through_rate,
    cast(cast(clicks as {{ dbl }}) / nullif(opens, 0) as decimal(18, 6)) as click_to_open_rate,
    cast(cast(conversions as {{ dbl }}) / nullif(delivered, 0) as decimal(18, 6)) as conversion_rate,
    cast(cast(revenue as {{ dbl }}) / nullif(delivered, 0) as decimal(18, 2)) as revenue_per_email,
    cast(cast(unsubscribes as {{ dbl }}) / nullif(delivered, 0) as decimal(18, 6)) as unsubscribe_rate,
    cast(cast(spam_complaints as {{ dbl }}) / nullif(delivered, 0) as decimal(18, 6)) as complaint_rate,
    cast(median_minutes_to_conversion as decimal(18, 1)) as median_minutes_to_conversion,
    {{ nudge.delivered_sample_warning('delivered') }} as sample_warning,
    {{ nudge.as_of() }} as as_of
from joined
