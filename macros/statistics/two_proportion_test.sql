{#-
    The two-proportion z-test, in plain arithmetic every engine computes alike (exp, sqrt,
    abs): no engine ships the normal CDF. The two-sided p-value is 1 − erf(|z| / √2), with
    erf from Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7), computed directly as
    the polynomial × exp(−y²) so small p-values keep their precision.
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
        ) * exp(-1.0 * {{ y }} * {{ y }})
    )
{%- endmacro %}


{#-
    Columns comparing a treatment proportion (x_t of n_t) with a control one (x_c of n_c),
    all four expressions of a relation already in scope:
    control_rate, treatment_rate, absolute_lift (points, as a fraction), relative_lift,
    ci_low / ci_high (95%, unpooled standard error), z_score (pooled), p_value (two-sided).
    Null where a group is empty or the standard error is 0.
-#}
{% macro two_proportion_test_columns(n_c, x_c, n_t, x_t, z_critical=1.959963985) -%}
    {%- set dbl = nudge.type_double() -%}
    {%- set d_c = 'nullif(' ~ n_c ~ ', 0)' -%}
    {%- set d_t = 'nullif(' ~ n_t ~ ', 0)' -%}
    {%- set p_c = '(cast(' ~ x_c ~ ' as ' ~ dbl ~ ') / nullif(' ~ n_c ~ ', 0))' -%}
    {%- set p_t = '(cast(' ~ x_t ~ ' as ' ~ dbl ~ ') / nullif(' ~ n_t ~ ', 0))' -%}
    {%- set pooled = '(cast(' ~ x_c ~ ' + ' ~ x_t ~ ' as ' ~ dbl ~ ') / nullif(' ~ n_c ~ ' + ' ~ n_t ~ ', 0))' -%}
    {%- set se = 'sqrt(' ~ p_c ~ ' * (1.0 - ' ~ p_c ~ ') / ' ~ d_c ~ ' + ' ~ p_t ~ ' * (1.0 - ' ~ p_t ~ ') / ' ~ d_t ~ ')' -%}
    {%- set se_pooled = 'sqrt(' ~ pooled ~ ' * (1.0 - ' ~ pooled ~ ') * (1.0 / ' ~ d_c ~ ' + 1.0 / ' ~ d_t ~ '))' -%}
    {%- set z = '((' ~ p_t ~ ' - ' ~ p_c ~ ') / nullif(' ~ se_pooled ~ ', 0))' -%}
    {{ p_c }} as control_rate,
    {{ p_t }} as treatment_rate,
    {{ p_t }} - {{ p_c }} as absolute_lift,
    ({{ p_t }} - {{ p_c }}) / nullif({{ p_c }}, 0) as relative_lift,
    {{ p_t }} - {{ p_c }} - {{ z_critical }} * {{ se }} as ci_low,
    {{ p_t }} - {{ p_c }} + {{ z_critical }} * {{ se }} as ci_high,
    {{ z }} as z_score,
    {{ nudge.two_sided_p_value(z) }} as p_value
{%- endmacro %}
