{#-
    Building JSON in TEXT (trigger payloads), the same on every engine up to key order and
    spacing. Null values are not portable (Spark's to_json drops the key, the others keep
    null) and neither are timestamps (Spark writes ISO with a zone): coalesce values and
    cast timestamps to text before passing them.
-#}

{#-
    A JSON object from (key, expression) pairs; numbers stay numbers, booleans booleans.
    Pairs may instead be (key, expression, kind) triples, kind 'string', 'number' or 'json'
    (already JSON text: a nested object or an array from json_array_agg_text): the object is
    then assembled as text (json_object_text_typed), identical on every engine, nesting
    included. One call uses one form.
-#}
{% macro json_object_text(pairs) -%}
    {%- set triples = [] -%}
    {%- for pair in pairs if pair | length == 3 -%}{%- do triples.append(pair) -%}{%- endfor -%}
    {%- if triples and triples | length == pairs | length -%}
        {{- return(nudge.json_object_text_typed(pairs)) -}}
    {%- elif triples -%}
        {{ exceptions.raise_compiler_error("json_object_text: give every field a kind, or none (got " ~ pairs ~ ")") }}
    {%- endif -%}
    {{- return(adapter.dispatch('json_object_text', 'nudge')(pairs)) -}}
{%- endmacro %}

{% macro default__json_object_text(pairs) -%}
    cast(json_object({% for key, expression in pairs %}'{{ key }}', {{ expression }}{% if not loop.last %}, {% endif %}{% endfor %}) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro postgres__json_object_text(pairs) -%}
    cast(json_build_object({% for key, expression in pairs %}'{{ key }}', {{ expression }}{% if not loop.last %}, {% endif %}{% endfor %}) as text)
{%- endmacro %}

{% macro spark__json_object_text(pairs) -%}
    to_json(named_struct({% for key, expression in pairs %}'{{ key }}', {{ expression }}{% if not loop.last %}, {% endif %}{% endfor %}))
{%- endmacro %}


{#-
    Aggregate: a JSON array of the group's `json_text` values (each already JSON text, e.g.
    from json_object_text), ordered by `order_by` (one sortable expression; ties broken by
    the JSON text).
-#}
{% macro json_array_agg_text(json_text, order_by) -%}
    {{- return(adapter.dispatch('json_array_agg_text', 'nudge')(json_text, order_by)) -}}
{%- endmacro %}

{% macro default__json_array_agg_text(json_text, order_by) -%}
    ('[' || string_agg({{ json_text }}, ',' order by {{ order_by }}, {{ json_text }}) || ']')
{%- endmacro %}

{#-
    DuckDB sorts each group of an ordered string_agg on its own; one sort of the group's
    (order key, text) structs is ~4x faster (post_purchase_review's 253k arrays: 1.8 s of
    its 2.5). Nulls as string_agg: skipped, none at all gives null, a null key sorts last.
-#}
{% macro duckdb__json_array_agg_text(json_text, order_by) -%}
    ('[' || array_to_string(list_transform(list_sort(list({'k': {{ order_by }}, 'v': {{ json_text }}}) filter (where {{ json_text }} is not null)), x -> x.v), ',') || ']')
{%- endmacro %}

{#- collect_list does not keep an order: sort (order key, text) structs, then keep the text. -#}
{% macro spark__json_array_agg_text(json_text, order_by) -%}
    concat('[', array_join(transform(array_sort(collect_list(named_struct('k', {{ order_by }}, 'v', {{ json_text }}))), x -> x.v), ','), ']')
{%- endmacro %}


{#-
    A JSON object from (key, expression, kind) triples, assembled by concatenation (the
    engines' JSON functions space and drop keys differently and cannot all embed JSON
    text), so every engine writes the same string. Kinds: 'string' (quoted and escaped),
    'number' (as the engine prints it: pass integers or decimals, never doubles, whose text
    differs by engine), 'json' (JSON text, embedded as is). A null value is written null.
-#}
{% macro json_object_text_typed(fields) -%}
    {%- set parts = [] -%}
    {%- for key, expr, kind in fields -%}
        {%- do parts.append("'" ~ ('{' if loop.first else ',') ~ '"' ~ key ~ '":' ~ "'") -%}
        {%- do parts.append(nudge.json_value_text(expr, kind)) -%}
    {%- endfor -%}
    {%- do parts.append("'}'") -%}
    {{- dbt.concat(parts) -}}
{%- endmacro %}


{#- One value as JSON text (kinds as in json_object_text_typed); never null. -#}
{% macro json_value_text(expr, kind='string') -%}
    {%- if kind == 'string' -%}
        coalesce({{ nudge.json_quoted(dbt.cast(expr, dbt.type_string())) }}, 'null')
    {%- elif kind == 'number' -%}
        coalesce({{ dbt.cast(expr, dbt.type_string()) }}, 'null')
    {%- elif kind == 'json' -%}
        coalesce({{ expr }}, 'null')
    {%- else -%}
        {{ exceptions.raise_compiler_error("json_value_text: kind must be string, number or json, not " ~ kind) }}
    {%- endif -%}
{%- endmacro %}


{#- Text as a JSON string: quoted and escaped (json_escape); null stays null. -#}
{% macro json_quoted(expr) -%}
    {{- return(adapter.dispatch('json_quoted', 'nudge')(expr)) -}}
{%- endmacro %}

{% macro default__json_quoted(expr) -%}
    {{ dbt.concat(["'\"'", nudge.json_escape(expr), "'\"'"]) }}
{%- endmacro %}

{#-
    DuckDB's own writer, ~10x faster than the five replaces on the payloads' strings and the
    same text for every string staging lets through (it escapes the other control
    characters as \u00XX, which staging quarantines).
-#}
{% macro duckdb__json_quoted(expr) -%}
    cast(to_json({{ expr }}) as {{ dbt.type_string() }})
{%- endmacro %}

{#-
    Text escaped for a JSON string: backslash, double quote, newline, carriage return and
    tab (staging quarantines every other control character).
-#}
{% macro json_escape(expr) -%}
    {{- return(adapter.dispatch('json_escape', 'nudge')(expr)) -}}
{%- endmacro %}

{% macro default__json_escape(expr) -%}
    replace(replace(replace(replace(replace({{ expr }},
        '\', '\\'), '"', '\"'), chr(10), '\n'), chr(13), '\r'), chr(9), '\t')
{%- endmacro %}

{#- Spark string literals unescape backslashes: each one is written twice. -#}
{% macro spark__json_escape(expr) -%}
    replace(replace(replace(replace(replace({{ expr }},
        '\\', '\\\\'), '"', '\\"'), chr(10), '\\n'), chr(13), '\\r'), chr(9), '\\t')
{%- endmacro %}


{#- A timestamp as 'YYYY-MM-DDTHH:MM:SS' text (whole seconds, no zone: timestamps are UTC), for ids and payloads. -#}
{% macro timestamp_key(ts) -%}
    {{- return(adapter.dispatch('timestamp_key', 'nudge')(ts)) -}}
{%- endmacro %}

{% macro default__timestamp_key(ts) -%}
    to_char({{ ts }}, 'YYYY-MM-DD"T"HH24:MI:SS')
{%- endmacro %}

{% macro duckdb__timestamp_key(ts) -%}
    strftime({{ ts }}, '%Y-%m-%dT%H:%M:%S')
{%- endmacro %}

{% macro spark__timestamp_key(ts) -%}
    date_format({{ ts }}, "yyyy-MM-dd'T'HH:mm:ss")
{%- endmacro %}
