{#-
    The two-proportion z-test, in plain arithmetic every engine computes alike (exp, sqrt,
    abs): no engine ships the normal CDF. The two-sided p-value is 1 − erf(|z| / √2), with
    erf from Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7), computed directly as
    the polynomial × exp(−y²) so small p-values keep their precision; y² is capped at 700
    (|z| > 37, p below 1e-300), where PostgreSQL raises an underflow error instead of 0.
-#}

{#- 2·(1 − Φ(|z|)) for a z-score expression; null when z is null. -#}
{% macro two_sided_p_value(z) -%}
    {%- set y = '(abs(' ~ z ~ ') / sqrt(2.0))' -%}
    {%- set t = '(1.0 / (1.0 + 0.3275911 * ' ~ y ~ '))' -%}
    (
        (
            0.254829592 * {{ t }}
            - 0.284496736 * {{ t }} * {{ t }}
            + 1.421413741 * {{ t }} * {{ t }} * {{ t }}
            - 1.453152027 * {{ t }} * {{ t }} * {{ t }} * {{ t }}
            + 1.061405429 * {{ t }} * {{ t }} * {{ t }} * {{ t }} * {{ t }}
        ) * exp(-1.0 * least({{ y }} * {{ y }}, 700.0))
    )
{%- endmacro %}


{#-
    Columns comparing a treatment proportion (x_t of n_t) with a control one (x_c of n_c),
    all four expressions of a relation already in scope: control_rate, treatment_rate,
    absolute_lift (points, as a fraction), relative_lift, z_score and p_value (two-sided) of
    the score test of "no difference" (Miettinen and Nurminen; docs/measurement.md): the
    pooled two-proportion z-test with the small-sample variance correction N / (N − 1),
    the test that nudge.score_interval inverts, so its p-value is below 0.05 exactly when
    that interval excludes 0. Where both groups are all successes or all failures the
    difference is 0 with no variance: z_score 0, p_value 1. Null where a group is empty.
-#}
{% macro two_proportion_test_columns(n_c, x_c, n_t, x_t) -%}
    {%- set dbl = nudge.type_double() -%}
    {%- set p_c = '(cast(' ~ x_c ~ ' as ' ~ dbl ~ ') / nullif(' ~ n_c ~ ', 0))' -%}
    {%- set p_t = '(cast(' ~ x_t ~ ' as ' ~ dbl ~ ') / nullif(' ~ n_t ~ ', 0))' -%}
    {%- set n = '(cast(' ~ n_c ~ ' + ' ~ n_t ~ ' as ' ~ dbl ~ '))' -%}
    {#- every divisor is guarded: PostgreSQL and Spark (ANSI mode) fail on a division by 0 #}
    {%- set pooled = '(cast(' ~ x_c ~ ' + ' ~ x_t ~ ' as ' ~ dbl ~ ') / nullif(' ~ n ~ ', 0.0))' -%}
    {#- and 1.0 / an integer is a decimal division in Spark, rounded to 12 places: cast first #}
    {%- set variance = '(' ~ pooled ~ ' * (1.0 - ' ~ pooled ~ ') * (1.0 / nullif(cast(' ~ n_c
        ~ ' as ' ~ dbl ~ '), 0.0) + 1.0 / nullif(cast(' ~ n_t ~ ' as ' ~ dbl ~ '), 0.0)) * '
        ~ n ~ ' / nullif(' ~ n ~ ' - 1.0, 0.0))' -%}
    {%- set z = '(case when ' ~ variance ~ ' > 0.0 then (' ~ p_t ~ ' - ' ~ p_c ~ ') / sqrt('
        ~ variance ~ ') when ' ~ variance ~ ' = 0.0 then 0.0 end)' -%}
    {{ p_c }} as control_rate,
    {{ p_t }} as treatment_rate,
    {{ p_t }} - {{ p_c }} as absolute_lift,
    ({{ p_t }} - {{ p_c }}) / nullif({{ p_c }}, 0) as relative_lift,
    {{ z }} as z_score,
    {{ nudge.two_sided_p_value(z) }} as p_value
{%- endmacro %}
