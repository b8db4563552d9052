{#-
    `column in (<the text keys `query` returns in its column of that name>)`, the keys written
    out as literals when there are at most `most` (var incremental_listed_keys_max: an
    incremental run's few keys): DuckDB skips the row groups whose min/max leave out every
    key (the touched keys sit at the table's end) and filters the rest after reading them
    (see text_in), where a join on the query would read every row's other columns first
    (DuckDB builds the hash table on the large side, misjudging how few keys there are). In a
    full build, or past `most` keys, the query itself.
-#}
{% macro keys_listed(column, query, most=var('incremental_listed_keys_max')) -%}
    {{- nudge.keys_in(column, nudge.keys_found(column, query, most), query) -}}
{%- endmacro %}


{#- The keys `query` returns in its `column` (nulls dropped), or none when there are more
    than `most` or this is not an incremental run: run once, for a model that needs the keys
    in more than one place (keys_in). -#}
{% macro keys_found(column, query, most=var('incremental_listed_keys_max')) -%}
    {%- if not (execute and is_incremental()) -%}
        {{- return(none) -}}
    {%- endif -%}
    {#- nulls dropped here: a `where` on the key would be pushed down to every row -#}
    {%- set found = run_query(
        'select distinct ' ~ column ~ ' from (' ~ query ~ ') as listed limit ' ~ (most | int + 2)
    ).columns[0].values() | reject('none') | list -%}
    {{- return(found if found | length <= most | int else none) -}}
{%- endmacro %}


{#- `column in (…)`: the keys keys_found returned as literals, else `query` itself. -#}
{% macro keys_in(column, found, query) -%}
    {%- if found is not none and found | length == 0 -%}
        1 = 0
    {%- elif found is not none -%}
        {{ column }} in ({% for key in found %}{{ nudge.text_literal(key) }}{{ ', ' if not loop.last }}{% endfor %})
    {%- else -%}
        {{ column }} in (select {{ column }} from ({{ query }}) as listed)
    {%- endif -%}
{%- endmacro %}


{#- A text value as a SQL string literal (quotes doubled: the standard, which every engine
    that builds incrementally reads; BigQuery and Spark build these models as tables). -#}
{% macro text_literal(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}


{#- The keys as a query of `column`: the literals keys_found returned (no row when none),
    else `query` itself. -#}
{% macro keys_table(column, found, query) -%}
    {%- if found is not none and found | length == 0 -%}
        select cast(null as {{ dbt.type_string() }}) as {{ column }} where 1 = 0
    {%- elif found is not none -%}
        {{- adapter.dispatch('keys_values', 'nudge')(column, found, query) -}}
    {%- else -%}
        {{ query }}
    {%- endif -%}
{%- endmacro %}

{#- Engines without a checked spelling of VALUES with column names run the query again. -#}
{% macro default__keys_values(column, found, query) -%}
    {{ query }}
{%- endmacro %}

{% macro duckdb__keys_values(column, found, query) -%}
    select listed.{{ column }}
    from (values {% for key in found %}({{ nudge.text_literal(key) }}){{ ', ' if not loop.last }}{% endfor %}) as listed ({{ column }})
{%- endmacro %}

{% macro postgres__keys_values(column, found, query) -%}
    {{ nudge.duckdb__keys_values(column, found, query) }}
{%- endmacro %}


{#-
    The keys an incremental run re-processes, from `query` (a query of `column`): `cte`, the
    model's CTE of them named `name` (with its comma; replace_keys reads it), and `filter`
    for its reads, both written from the keys as literals when keys_found lists them, so the
    query runs once, at compile time. In a full build there is no CTE and `filter` is true.
-#}
{% macro touched_keys(column, query, name='touched') -%}
    {%- if not is_incremental() -%}
        {{- return({'cte': '', 'filter': 'true'}) -}}
    {%- endif -%}
    {%- set found = nudge.keys_found(column, query) -%}
    {%- set cte -%}
    {{ name }} as (

        {{ nudge.keys_table(column, found, query) }}

    ),
    {%- endset -%}
    {{- return({'cte': cte, 'filter': nudge.keys_in(column, found, query)}) -}}
{%- endmacro %}
