{#-
    The Miettinen-Nurminen score interval of a difference of two proportions (treatment −
    control), the interval that inverts the score test two_proportion_test_columns reports
    (docs/measurement.md): it holds every difference δ the test at δ does not reject at 5%,
    so it excludes 0 exactly when that test's p-value is below 0.05.

    score_interval_ctes(name, relation, keys, n_c, x_c, n_t, x_t) writes common table
    expressions (for a `with` list; the last one is `name`) ending in a select of `keys`,
    ci_low and ci_high, one row per row of `relation` whose two groups are non-empty; they
    are a flat chain, not nested subqueries, so the compiled model stays readable and
    parseable. Each bound is found by bracketing, in plain arithmetic every engine computes
    alike (no engine has a root finder, and recursive CTEs are not portable): it starts between
    the observed difference (accepted) and −1 or 1; each of `stages` passes evaluates the
    test at 1,000 evenly spaced points of the bracket and keeps the sub-bracket where the
    test's decision flips, so three passes place each bound within 2e-9.
-#}

{%- macro score_interval_ctes(name, relation, keys, n_c, x_c, n_t, x_t, z_critical=1.959963984540054, stages=3) -%}
    {%- set dbl = nudge.type_double() -%}
    {%- set key_list = keys | join(', ') -%}
    {%- set state = key_list ~ ', n0, x0, n1, x1, d_hat, side' -%}
{{ name }}_stage_0 as (
    {%- for side, start in (('low', '-1.0'), ('high', '1.0')) %}

    select
        {{ key_list }},
        cast({{ n_c }} as {{ dbl }}) as n0,
        cast({{ x_c }} as {{ dbl }}) as x0,
        cast({{ n_t }} as {{ dbl }}) as n1,
        cast({{ x_t }} as {{ dbl }}) as x1,
        {{ nudge.observed_difference(n_c, x_c, n_t, x_t) }} as d_hat,
        '{{ side }}' as side,
        cast({{ start }} as {{ dbl }}) as rejected,
        {{ nudge.observed_difference(n_c, x_c, n_t, x_t) }} as accepted
    from {{ relation }}
    where {{ n_c }} > 0 and {{ n_t }} > 0
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

),
{%- for stage in range(1, stages + 1) %}

{{ nudge.score_interval_stage_ctes(name ~ '_stage_' ~ stage, name ~ '_stage_' ~ (stage - 1), state, z_critical) }},
{%- endfor %}

{{ name }} as (

    select
        {{ key_list }},
        max(case when side = 'low' then accepted end) as ci_low,
        max(case when side = 'high' then accepted end) as ci_high
    from {{ name }}_stage_{{ stages }}
    group by {{ key_list }}

)
{%- endmacro %}


{#- (x_t / n_t) − (x_c / n_c) as a double -#}
{%- macro observed_difference(n_c, x_c, n_t, x_t) -%}
    {%- set dbl = nudge.type_double() -%}
    (cast({{ x_t }} as {{ dbl }}) / {{ n_t }} - cast({{ x_c }} as {{ dbl }}) / {{ n_c }})
{%- endmacro %}


{#-
    One narrowing pass over `previous` (columns `state`, rejected, accepted), as CTEs ending
    in `name`: points k = 0 … 999 of [rejected, accepted] (k = 1000 is `accepted` itself);
    r, the last rejected point, and r + 1 become the new bracket (all accepted: the bound
    is the bracket's end).
-#}
{%- macro score_interval_stage_ctes(name, previous, state, z_critical) -%}
    {%- set digits = '(select 0 as n union all select 1 union all select 2 union all select 3'
        ~ ' union all select 4 union all select 5 union all select 6 union all select 7'
        ~ ' union all select 8 union all select 9)' -%}
{{ name }}_points as (

    select
        brackets.*,
        hundreds.n * 100 + tens.n * 10 + units.n as k,
        brackets.rejected
        + (hundreds.n * 100 + tens.n * 10 + units.n) * (brackets.accepted - brackets.rejected) / 1000.0
        as delta
    from {{ previous }} as brackets
    cross join {{ digits }} as hundreds
    cross join {{ digits }} as tens
    cross join {{ digits }} as units

),

{{ nudge.score_null_variance_ctes(name ~ '_variance', name ~ '_points') }},

{{ name }}_narrowed as (

    select
        {{ state }},
        rejected,
        accepted,
        max(
            case
                when
                    (d_hat - delta) * (d_hat - delta)
                    > {{ z_critical }} * {{ z_critical }} * null_variance
                    then k
            end
        ) as r
    from {{ name }}_variance
    group by {{ state }}, rejected, accepted

),

{{ name }} as (

    select
        {{ state }},
        case
            when r is null then rejected
            else rejected + r * (accepted - rejected) / 1000.0
        end as rejected,
        case
            when r is null then rejected
            when r = 999 then accepted
            else rejected + (r + 1) * (accepted - rejected) / 1000.0
        end as accepted
    from {{ name }}_narrowed

)
{%- endmacro %}


{#-
    CTEs ending in `name`: the rows of `points` (columns n0, x0 control, n1, x1 treatment,
    delta) with null_variance, the variance of the observed difference under the hypothesis
    "difference = delta", at the maximum-likelihood proportions under that constraint (the
    root of Miettinen and Nurminen's cubic, in closed form; statsmodels 0.15 has its linear
    coefficient wrong, statsmodels issue 10269, so its score interval is not a reference),
    times their small-sample correction N / (N − 1).
-#}
{%- macro score_null_variance_ctes(name, points) -%}
{{ name }}_terms as (

    select
        {{ points }}.*,
        n0 + n1 as c3,
        (n1 + 2.0 * n0) * delta - (n0 + n1) - (x0 + x1) as c2,
        (n0 * delta - (n0 + n1) - 2.0 * x0) * delta + (x0 + x1) as c1,
        x0 * delta * (1.0 - delta) as c0
    from {{ points }}

),

{{ name }}_cubic as (

    select
        {{ name }}_terms.*,
        (c2 / (3.0 * c3)) * (c2 / (3.0 * c3)) * (c2 / (3.0 * c3))
        - c1 * c2 / (6.0 * c3 * c3)
        + c0 / (2.0 * c3) as q,
        sqrt(greatest(0.0, (c2 / (3.0 * c3)) * (c2 / (3.0 * c3)) - c1 / (3.0 * c3))) as radius
    from {{ name }}_terms

),

{{ name }}_rooted as (

    {#- the trigonometric root; the radius takes q's sign, and q / radius³ is clamped to
        [−1, 1] against rounding (0 when the radius is 0: a triple root, −c2 / 3c3) #}
    select
        {{ name }}_cubic.*,
        2.0 * (case when q < 0.0 then -1.0 else 1.0 end) * radius * cos(
            (
                3.141592653589793
                + acos(least(1.0, greatest(-1.0, coalesce(
                    abs(q) / nullif(radius * radius * radius, 0.0), 0.0
                ))))
            ) / 3.0
        ) - c2 / (3.0 * c3) as p0_root
    from {{ name }}_cubic

),

{{ name }} as (

    select
        {{ name }}_rooted.*,
        (
            least(1.0, greatest(0.0, p0_root + delta))
            * (1.0 - least(1.0, greatest(0.0, p0_root + delta))) / n1
            + least(1.0, greatest(0.0, p0_root))
            * (1.0 - least(1.0, greatest(0.0, p0_root))) / n0
        ) * (n0 + n1) / (n0 + n1 - 1.0) as null_variance
    from {{ name }}_rooted

)
{%- endmacro %}
