{#- Whole calendar days from the date of `start_expr` to the date of `end_expr`. -#}
{% macro days_between(start_expr, end_expr) -%}
    {{ dbt.datediff('cast(' ~ start_expr ~ ' as date)', 'cast(' ~ end_expr ~ ' as date)', 'day') }}
{%- endmacro %}

{#-
    Whole seconds from `start_expr` to `end_expr`. Use it (and divide) instead of
    dbt.datediff(..., 'hour' | 'minute'): DuckDB and Postgres count hour / minute boundaries
    crossed while dbt-spark rounds the elapsed time up, so those differ between engines.
-#}
{% macro seconds_between(start_expr, end_expr) -%}
    {{ dbt.datediff(start_expr, end_expr, 'second') }}
{%- endmacro %}
