{#- Whole calendar days from the date of `start_expr` to the date of `end_expr`. -#}
{% macro days_between(start_expr, end_expr) -%}
    {{ dbt.datediff('cast(' ~ start_expr ~ ' as date)', 'cast(' ~ end_expr ~ ' as date)', 'day') }}
{%- endmacro %}
