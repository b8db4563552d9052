{#-
    A select of one comparison between two groups of units, per `group_by`: units and
    successes of the control group (rows whose `arm_column` is `control`) and of the
    treatment group (`treatment`), named for two_proportion_test_columns, with the
    comparison, metric and group names as literal columns. `success` is a boolean
    expression over a row; `where` (SQL) limits the rows read; `require_treatment` drops
    groups without a treatment unit (a comparison that cannot be made there).
-#}
{% macro arm_comparison(
    relation, group_by, comparison, metric, arm_column, control, treatment, success,
    where=none, require_treatment=false
) -%}
    select
        {{ group_by }},
        '{{ comparison }}' as comparison,
        '{{ metric }}' as metric,
        '{{ control }}' as control_group,
        '{{ treatment }}' as treatment_group,
        sum(case when {{ arm_column }} = '{{ control }}' then 1 else 0 end) as control_units,
        sum(case when {{ arm_column }} = '{{ control }}' and {{ success }} then 1 else 0 end) as control_successes,
        sum(case when {{ arm_column }} = '{{ treatment }}' then 1 else 0 end) as treatment_units,
        sum(case when {{ arm_column }} = '{{ treatment }}' and {{ success }} then 1 else 0 end) as treatment_successes
    from {{ relation }}
    {% if where is not none -%}
        where {{ where }}
    {% endif -%}
    group by {{ group_by }}
    {%- if require_treatment %}
    having sum(case when {{ arm_column }} = '{{ treatment }}' then 1 else 0 end) > 0
    {%- endif %}
{%- endmacro %}
