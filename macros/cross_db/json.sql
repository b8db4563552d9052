{#-
    JSON held in TEXT columns (the raw contract), read the same way on every engine.
    `path` is a dotted key path without the leading '$.': 'order_id', 'page.url'.
    Callers pass only text already known to be valid JSON (see is_valid_json): some engines
    raise on malformed input instead of returning null.
-#}
{% macro json_text(column, path) -%}
    {{- return(adapter.dispatch('json_text', 'nudge')(column, path)) -}}
{%- endmacro %}

{% macro default__json_text(column, path) -%}
    json_extract_path_text({{ column }}, {% for key in path.split('.') %}'{{ key }}'{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}

{% macro duckdb__json_text(column, path) -%}
    json_extract_string({{ column }}, '$.{{ path }}')
{%- endmacro %}

{#-
    Through jsonb, which normalizes numbers like DuckDB and Spark do ('1e2' reads as 100,
    not as text the number check rejects).
-#}
{% macro postgres__json_text(column, path) -%}
    (cast({{ column }} as jsonb) #>> '{ {{- path.split('.') | join(',') -}} }')
{%- endmacro %}

{% macro spark__json_text(column, path) -%}
    get_json_object({{ column }}, '$.{{ path }}')
{%- endmacro %}

{% macro bigquery__json_text(column, path) -%}
    json_value({{ column }}, '$.{{ path }}')
{%- endmacro %}


{#- A JSON property as a number, or null when absent or not numeric. -#}
{% macro json_number(column, path, data_type='decimal(18, 2)') -%}
    {{- nudge.safe_number(nudge.json_text(column, path), data_type) -}}
{%- endmacro %}


{#- True when `column` holds syntactically valid JSON (null stays null). -#}
{% macro is_valid_json(column) -%}
    {{- return(adapter.dispatch('is_valid_json', 'nudge')(column)) -}}
{%- endmacro %}

{% macro default__is_valid_json(column) -%}
    (try_parse_json({{ column }}) is not null)
{%- endmacro %}

{% macro duckdb__is_valid_json(column) -%}
    json_valid({{ column }})
{%- endmacro %}

{#-
    Postgres has no non-raising JSON parse, and the SQL/JSON `IS JSON` predicate only
    arrived in PostgreSQL 16: a pl/pgsql function (macros/cross_db/functions.sql, created
    on run start) catches the parse error instead, on every version.
-#}
{% macro postgres__is_valid_json(column) -%}
    {{ nudge.functions_schema() }}.nudge_is_valid_json({{ column }})
{%- endmacro %}

{#-
    Spark's JSON functions return null (never raise) on malformed input, but
    get_json_object is lenient (single quotes, raw control characters in strings). An
    object, what the contract's JSON columns hold, is parsed by from_json with those
    leniencies off, so it is valid exactly when DuckDB says so, except for text after the
    closing brace ('{"a": 1} x', accepted here) and JSON5-isms DuckDB accepts (a trailing
    comma); other values (arrays, scalars) go through get_json_object.
-#}
{% macro spark__is_valid_json(column) -%}
    (case
        when {{ column }} is null then null
        when {{ column }} rlike '^\\s*[{]'
            then from_json(
                {{ column }},
                'map<string,string>',
                map('allowSingleQuotes', 'false', 'allowUnquotedControlChars', 'false')
            ) is not null
        else get_json_object({{ column }}, '$') is not null
    end)
{%- endmacro %}

{% macro bigquery__is_valid_json(column) -%}
    (safe.parse_json({{ column }}) is not null)
{%- endmacro %}


{#-
    A row rendered as a JSON object in TEXT, for inspection (quarantine).
    `columns` lists column names (quoted here, so reserved words like `timestamp` are fine)
    or (key, expression) pairs; values are rendered as text.
-#}
{% macro row_to_json_text(columns) -%}
    {%- set pairs = [] -%}
    {%- for c in columns -%}
        {%- if c is string -%}
            {%- do pairs.append((c, adapter.quote(c))) -%}
        {%- else -%}
            {%- do pairs.append((c[0], c[1])) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(adapter.dispatch('row_to_json_text', 'nudge')(pairs)) -}}
{%- endmacro %}

{% macro default__row_to_json_text(pairs) -%}
    cast(json_object({% for key, value in pairs %}'{{ key }}', cast({{ value }} as {{ dbt.type_string() }}){% if not loop.last %}, {% endif %}{% endfor %}) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro postgres__row_to_json_text(pairs) -%}
    cast(json_build_object({% for key, value in pairs %}'{{ key }}', cast({{ value }} as text){% if not loop.last %}, {% endif %}{% endfor %}) as text)
{%- endmacro %}

{% macro spark__row_to_json_text(pairs) -%}
    to_json(named_struct({% for key, value in pairs %}'{{ key }}', cast({{ value }} as string){% if not loop.last %}, {% endif %}{% endfor %}))
{%- endmacro %}
