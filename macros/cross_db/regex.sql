{#- True when `expr` matches the regular expression `pattern` (a SQL string literal body). -#}
{% macro regexp_like(expr, pattern) -%}
    {{- return(adapter.dispatch('regexp_like', 'nudge')(expr, pattern)) -}}
{%- endmacro %}

{#- Snowflake, Oracle, Trino, MySQL 8 -#}
{% macro default__regexp_like(expr, pattern) -%}
    regexp_like({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{% macro duckdb__regexp_like(expr, pattern) -%}
    regexp_matches({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{% macro postgres__regexp_like(expr, pattern) -%}
    ({{ expr }} ~ '{{ pattern }}')
{%- endmacro %}

{#- Spark string literals unescape backslashes: double them so the regex sees them. -#}
{% macro spark__regexp_like(expr, pattern) -%}
    ({{ expr }} rlike '{{ pattern | replace("\\", "\\\\") }}')
{%- endmacro %}

{% macro bigquery__regexp_like(expr, pattern) -%}
    regexp_contains({{ expr }}, r'{{ pattern }}')
{%- endmacro %}
