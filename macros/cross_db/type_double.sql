{#-
    A 64-bit floating point type: `float` is 4 bytes on Spark (and DuckDB), 8 on Postgres,
    and `double` is not a Postgres type name.
-#}
{% macro type_double() -%}
    {{- return(adapter.dispatch('type_double', 'nudge')()) -}}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}
