{#- The set operator `union` (duplicates removed): BigQuery requires it spelled `union distinct`. -#}
{% macro set_union() -%}
    {{- return(adapter.dispatch('set_union', 'nudge')()) -}}
{%- endmacro %}

{% macro default__set_union() -%}
    union
{%- endmacro %}

{% macro bigquery__set_union() -%}
    union distinct
{%- endmacro %}
