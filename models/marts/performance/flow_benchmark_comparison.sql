{#-
    One row per trigger_key with sends: its rates over all steps and variants (sums of
    flow_performance) beside the typical published ranges of its flow family
    (seeds/flow_benchmarks.csv), each rate 'below', 'within' or 'above' its range, or
    'too_few_sends' under var('benchmark_min_delivered') delivered emails. Conversions are
    flow_performance's, attributed ones (conversion_definition).
-#}

{%- set dbl = nudge.type_double() %}

with

flows as (

    select
        trigger_key,
        sum(sends) as sends,
        sum(delivered) as delivered,
        sum(opens) as opens,
        sum(clicks) as clicks,
        sum(conversions) as conversions,
        sum(revenue) as revenue
    from {{ ref('flow_performance') }}
    group by trigger_key

),

rated as (

    select
        flows.*,
        100.0 * cast(flows.opens as {{ dbl }}) / nullif(flows.delivered, 0) as open_rate_pct,
        100.0 * cast(flows.clicks as {{ dbl }}) / nullif(flows.delivered, 0) as click_rate_pct,
        100.0 * cast(flows.conversions as {{ dbl }}) / nullif(flows.delivered, 0) as conversion_rate_pct
    from flows

),

compared as (

    select
        rated.*,
        benchmarks.flow_family,
        benchmarks.flow_label,
        benchmarks.conversion_measure,
        benchmarks.open_rate_low_pct,
        benchmarks.open_rate_high_pct,
        benchmarks.click_rate_low_pct,
        benchmarks.click_rate_high_pct,
        benchmarks.conversion_rate_low_pct,
        benchmarks.conversion_rate_high_pct
    from rated
    left join {{ ref('flow_benchmarks') }} as benchmarks
        on rated.trigger_key = benchmarks.trigger_key

)

select
    trigger_key,
    flow_family,
    flow_label,
    conversion_measure,
    cast(sends as {{ dbt.type_int() }}) as sends,
    cast(delivered as {{ dbt.type_int() }}) as delivered,
    cast(opens as {{ dbt.type_int() }}) as opens,
    cast(clicks as {{ dbt.type_int() }}) as clicks,
    cast(conversions as {{ dbt.type_int() }}) as conversions,
    {{ nudge.conversion_definition('attributed') }} as conversion_definition,
    cast(revenue as decimal(18, 2)) as revenue,
    cast(open_rate_pct as decimal(9, 2)) as open_rate_pct,
    cast(click_rate_pct as decimal(9, 2)) as click_rate_pct,
    cast(conversion_rate_pct as decimal(9, 2)) as conversion_rate_pct,
    cast(open_rate_low_pct as decimal(9, 2)) as open_rate_low_pct,
    cast(open_rate_high_pct as decimal(9, 2)) as open_rate_high_pct,
    cast(click_rate_low_pct as decimal(9, 2)) as click_rate_low_pct,
    cast(click_rate_high_pct as decimal(9, 2)) as click_rate_high_pct,
    cast(conversion_rate_low_pct as decimal(9, 2)) as conversion_rate_low_pct,
    cast(conversion_rate_high_pct as decimal(9, 2)) as conversion_rate_high_pct,
    {{ nudge.benchmark_position('open_rate_pct', 'open_rate_low_pct', 'open_rate_high_pct', 'delivered') }} as open_rate_position,
    {{ nudge.benchmark_position('click_rate_pct', 'click_rate_low_pct', 'click_rate_high_pct', 'delivered') }} as click_rate_position,
    {{ nudge.benchmark_position('conversion_rate_pct', 'conversion_rate_low_pct', 'conversion_rate_high_pct', 'delivered') }}
        as conversion_rate_position,
    {{ nudge.as_of() }} as as_of
from compared
