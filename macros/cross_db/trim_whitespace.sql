{#- `expr` without surrounding spaces, tabs and line breaks. -#}
{% macro trim_whitespace(expr) -%}
    {{- return(adapter.dispatch('trim_whitespace', 'nudge')(expr)) -}}
{%- endmacro %}

{% macro default__trim_whitespace(expr) -%}
    trim(both ' ' || chr(9) || chr(10) || chr(13) from {{ expr }})
{%- endmacro %}

{#- Snowflake and BigQuery: trim(value, characters); their literals read \t \n \r. -#}
{% macro snowflake__trim_whitespace(expr) -%}
    trim({{ expr }}, ' \t\n\r')
{%- endmacro %}

{% macro bigquery__trim_whitespace(expr) -%}
    trim({{ expr }}, ' \t\n\r')
{%- endmacro %}
