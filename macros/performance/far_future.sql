{#-
    A timestamp later than any event or catalog change: the end of an open-ended validity
    range, so `ts < coalesce(valid_until, far_future_timestamp())` replaces
    `valid_until is null or ts < valid_until`. A join on ranges written with that OR is a
    nested-loop join on DuckDB (every sighting against every catalog version); written with
    the coalesce, every condition is a comparison and the engine hash-joins on the key and
    checks the range on the few matching rows. Rendered as a naive timestamp literal, like
    as_of().
-#}
{% macro far_future_timestamp() -%}
    {{- return(adapter.dispatch('far_future_timestamp', 'nudge')()) -}}
{%- endmacro %}

{% macro default__far_future_timestamp() -%}
    cast('9999-12-31 00:00:00' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- Naive timestamps are DATETIME on BigQuery (see bigquery__as_of). -#}
{% macro bigquery__far_future_timestamp() -%}
    datetime '9999-12-31 00:00:00'
{%- endmacro %}
