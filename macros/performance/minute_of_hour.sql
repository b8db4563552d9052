{#- Minute of the hour (0–59) of a timestamp, as an integer (like hour_of_day). -#}
{% macro minute_of_hour(ts) -%}
    {{- return(adapter.dispatch('minute_of_hour', 'nudge')(ts)) -}}
{%- endmacro %}

{% macro default__minute_of_hour(ts) -%}
    cast(extract(minute from {{ ts }}) as {{ dbt.type_int() }})
{%- endmacro %}

{% macro spark__minute_of_hour(ts) -%}
    minute({{ ts }})
{%- endmacro %}
