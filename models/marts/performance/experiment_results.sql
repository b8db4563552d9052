{#-
    One row per trigger_key and comparison (docs/contracts/behaviors.md, "Measurement"):
    'sent_vs_held_out' on conversion within `experiment_conversion_window_days` of due_at
    (int_experiment_units_assigned: one unit per contact and series), and 'variant_b_vs_a'
    among sent units on the same conversion and on clicking. Two-proportion z-test: absolute
    lift (treatment − control rate), relative lift, 95% confidence interval of the absolute
    lift (unpooled standard error), pooled z-score and two-sided p-value
    (macros/statistics/two_proportion_test.sql).
-#}

with

units as (

    select * from {{ ref('int_experiment_units_assigned') }}

),

holdout as (

    select
        trigger_key,
        'sent_vs_held_out' as comparison,
        'conversion' as metric,
        'held_out' as control_group,
        'sent' as treatment_group,
        sum(case when arm = 'held_out' then 1 else 0 end) as control_units,
        sum(case when arm = 'held_out' and converted then 1 else 0 end) as control_successes,
        sum(case when arm = 'sent' then 1 else 0 end) as treatment_units,
        sum(case when arm = 'sent' and converted then 1 else 0 end) as treatment_successes
    from units
    group by trigger_key

),

variant_conversion as (

    select
        trigger_key,
        'variant_b_vs_a' as comparison,
        'conversion' as metric,
        'A' as control_group,
        'B' as treatment_group,
        sum(case when variant = 'A' then 1 else 0 end) as control_units,
        sum(case when variant = 'A' and converted then 1 else 0 end) as control_successes,
        sum(case when variant = 'B' then 1 else 0 end) as treatment_units,
        sum(case when variant = 'B' and converted then 1 else 0 end) as treatment_successes
    from units
    where arm = 'sent'
    group by trigger_key
    having sum(case when variant = 'B' then 1 else 0 end) > 0

),

variant_click as (

    select
        trigger_key,
        'variant_b_vs_a' as comparison,
        'click' as metric,
        'A' as control_group,
        'B' as treatment_group,
        sum(case when variant = 'A' then 1 else 0 end) as control_units,
        sum(case when variant = 'A' and clicked then 1 else 0 end) as control_successes,
        sum(case when variant = 'B' then 1 else 0 end) as treatment_units,
        sum(case when variant = 'B' and clicked then 1 else 0 end) as treatment_successes
    from units
    where arm = 'sent'
    group by trigger_key
    having sum(case when variant = 'B' then 1 else 0 end) > 0

),

comparisons as (

    select * from holdout
    union all
    select * from variant_conversion
    union all
    select * from variant_click

),

tested as (

    select
        comparisons.*,
        {{ nudge.two_proportion_test_columns(
            'control_units', 'control_successes', 'treatment_units', 'treatment_successes'
        ) }}
    from comparisons

)

select
    trigger_key || '|' || comparison || '|' || metric as result_key,
    trigger_key,
    comparison,
    metric,
    control_group,
    treatment_group,
    cast(control_units as {{ dbt.type_int() }}) as control_units,
    cast(control_successes as {{ dbt.type_int() }}) as control_successes,
    cast(treatment_units as {{ dbt.type_int() }}) as treatment_units,
    cast(treatment_successes as {{ dbt.type_int() }}) as treatment_successes,
    cast(control_rate as decimal(18, 6)) as control_rate,
    cast(treatment_rate as decimal(18, 6)) as treatment_rate,
    cast(absolute_lift as decimal(18, 6)) as absolute_lift,
    cast(relative_lift as decimal(18, 6)) as relative_lift,
    cast(ci_low as decimal(18, 6)) as ci_low,
    cast(ci_high as decimal(18, 6)) as ci_high,
    cast(z_score as decimal(18, 6)) as z_score,
    cast(p_value as decimal(18, 6)) as p_value,
    coalesce(p_value < 0.05, false) as is_significant,
    {{ nudge.as_of() }} as as_of
from tested
