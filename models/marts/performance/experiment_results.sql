{#-
    One row per trigger_key and comparison (docs/contracts/behaviors.md, "Measurement";
    the method: docs/measurement.md): 'sent_vs_held_out' on conversion within
    `experiment_conversion_window_days` of due_at (int_experiment_units_assigned: one unit
    per contact and series), 'variant_b_vs_a' among sent units on the same conversion
    and on clicking, and 'send_time_optimized_vs_due_time' (send-time optimization: the
    optimized arm against the due-time arm, among sent units of triggers with an arm) on the
    same two metrics. One method per comparison, whose interval and test agree: the score
    test of no difference (z_score, p_value: macros/statistics/two_proportion_test.sql) and
    the 95% score interval that inverts it (ci_low, ci_high: score_interval.sql), so
    is_significant (the interval excludes 0) and p_value < 0.05 say the same. Each
    comparison's units and successes: arm_comparison.sql; what a success is:
    success_definition; sample_warning flags groups too small to read.
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

send_time_conversion as (

    {{ nudge.arm_comparison(
        'units', 'trigger_key', 'send_time_optimized_vs_due_time', 'conversion',
        arm_column='send_time_arm', control='due_time', treatment='optimized', success='converted',
        where="arm = 'sent' and send_time_arm is not null", require_treatment=true
    ) }}

),

send_time_click as (

    {{ nudge.arm_comparison(
        'units', 'trigger_key', 'send_time_optimized_vs_due_time', 'click',
        arm_column='send_time_arm', control='due_time', treatment='optimized', success='clicked',
        where="arm = 'sent' and send_time_arm is not null", require_treatment=true
    ) }}

),

comparisons as (

    select * from holdout
    union all
    select * from variant_conversion
    union all
    select * from variant_click
    union all
    select * from send_time_conversion
    union all
    select * from send_time_click

),

{{ nudge.score_interval_ctes(
    'intervals', 'comparisons', ['trigger_key', 'comparison', 'metric'],
    'control_units', 'control_successes', 'treatment_units', 'treatment_successes'
) }},

tested as (

    select
        comparisons.*,
        intervals.ci_low,
        intervals.ci_high,
        {{ nudge.two_proportion_test_columns(
            'comparisons.control_units', 'comparisons.control_successes',
            'comparisons.treatment_units', 'comparisons.treatment_successes'
        ) }}
    from comparisons
    left join intervals
        on
            comparisons.trigger_key = intervals.trigger_key
            and comparisons.comparison = intervals.comparison
            and comparisons.metric = intervals.metric

),

rounded as (

    select
        tested.*,
        cast(tested.ci_low as decimal(18, 6)) as ci_low_rounded,
        cast(tested.ci_high as decimal(18, 6)) as ci_high_rounded
    from tested

)

select
    trigger_key || '|' || comparison || '|' || metric as result_key,
    trigger_key,
    comparison,
    metric,
    case
        when metric = 'click' then {{ nudge.conversion_definition('click') }}
        else {{ nudge.conversion_definition('in_window') }}
    end as success_definition,
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
    ci_low_rounded as ci_low,
    ci_high_rounded as ci_high,
    cast(z_score as decimal(18, 6)) as z_score,
    cast(p_value as decimal(18, 6)) as p_value,
    coalesce(ci_low_rounded > 0 or ci_high_rounded < 0, false) as is_significant,
    {{ nudge.experiment_sample_warning('control_units', 'treatment_units') }} as sample_warning,
    {{ nudge.as_of() }} as as_of
from rounded
