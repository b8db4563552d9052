{#-
    One row per trigger_key and comparison (docs/contracts/behaviors.md, "Measurement"):
    'sent_vs_held_out' on conversion within `experiment_conversion_window_days` of due_at
    (int_experiment_units_assigned: one unit per contact and series), and 'variant_b_vs_a'
    among sent units on the same conversion and on clicking. Two-proportion z-test: absolute
    lift (treatment − control rate), relative lift, 95% confidence interval of the absolute
    lift (unpooled standard error), pooled z-score and two-sided p-value
    (macros/statistics/two_proportion_test.sql). Each comparison's units and successes:
    macros/statistics/arm_comparison.sql.
-#}

with

units as (

    select * from {{ ref('int_experiment_units_assigned') }}

),

holdout as (

    {{ nudge.arm_comparison(
        'units', 'trigger_key', 'sent_vs_held_out', 'conversion',
        arm_column='arm', control='held_out', treatment='sent', success='converted'
    ) }}

),

variant_conversion as (

    {{ nudge.arm_comparison(
        'units', 'trigger_key', 'variant_b_vs_a', 'conversion',
        arm_column='variant', control='A', treatment='B', success='converted',
        where="arm = 'sent'", require_treatment=true
    ) }}

),

variant_click as (

    {{ nudge.arm_comparison(
        'units', 'trigger_key', 'variant_b_vs_a', 'click',
        arm_column='variant', control='A', treatment='B', success='clicked',
        where="arm = 'sent'", require_treatment=true
    ) }}

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
