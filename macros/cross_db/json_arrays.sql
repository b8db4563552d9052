{#-
    Arrays inside JSON held in TEXT (the raw contract's `properties`), read the same way on
    every engine: the length of the array at `path` (a dotted key path without '$.'; null or
    0 when absent or not an array), and a key of its element at a 0-based index given as an
    expression. Used with an index spine to unnest order lines without engine-specific
    lateral joins. Callers pass only valid JSON (see is_valid_json).
-#}
{% macro json_array_length(column, path) -%}
    {{- return(adapter.dispatch('json_array_length', 'nudge')(column, path)) -}}
{%- endmacro %}

{% macro default__json_array_length(column, path) -%}
    json_array_length(json_extract_path({{ column }}, {% for key in path.split('.') %}'{{ key }}'{% if not loop.last %}, {% endif %}{% endfor %}))
{%- endmacro %}

{#- 0 for a value that is not an array -#}
{% macro duckdb__json_array_length(column, path) -%}
    json_array_length({{ column }}, '$.{{ path }}')
{%- endmacro %}

{#- jsonb_array_length raises on a non-array: check the type first. -#}
{% macro postgres__json_array_length(column, path) -%}
    (case
        when jsonb_typeof(cast({{ column }} as jsonb) #> '{ {{- path.split('.') | join(',') -}} }') = 'array'
            then jsonb_array_length(cast({{ column }} as jsonb) #> '{ {{- path.split('.') | join(',') -}} }')
    end)
{%- endmacro %}

{#- null for a value that is not an array -#}
{% macro spark__json_array_length(column, path) -%}
    json_array_length(get_json_object({{ column }}, '$.{{ path }}'))
{%- endmacro %}


{% macro json_array_item_text(column, path, index_expr, key) -%}
    {{- return(adapter.dispatch('json_array_item_text', 'nudge')(column, path, index_expr, key)) -}}
{%- endmacro %}

{% macro default__json_array_item_text(column, path, index_expr, key) -%}
    json_extract_path_text({{ column }}, {% for k in path.split('.') %}'{{ k }}', {% endfor %}cast({{ index_expr }} as {{ dbt.type_string() }}), '{{ key }}')
{%- endmacro %}

{#- The path is parenthesized: SQLMesh re-renders json_extract_string as `->>`, which binds
    tighter than `||`. -#}
{% macro duckdb__json_array_item_text(column, path, index_expr, key) -%}
    json_extract_string({{ column }}, ('$.{{ path }}[' || cast({{ index_expr }} as varchar) || '].{{ key }}'))
{%- endmacro %}

{% macro postgres__json_array_item_text(column, path, index_expr, key) -%}
    (cast({{ column }} as jsonb) #> '{ {{- path.split('.') | join(',') -}} }' -> cast({{ index_expr }} as integer) ->> '{{ key }}')
{%- endmacro %}

{% macro spark__json_array_item_text(column, path, index_expr, key) -%}
    get_json_object({{ column }}, concat('$.{{ path }}[', cast({{ index_expr }} as string), '].{{ key }}'))
{%- endmacro %}


{#- A query of `count` rows numbered 0 … count − 1 (column line_index): an index spine. -#}
{% macro index_spine(count) -%}
    {%- for i in range(count) %}
    select {{ i }} as line_index
    {%- if not loop.last %} union all{% endif %}
    {%- endfor %}
{%- endmacro %}
