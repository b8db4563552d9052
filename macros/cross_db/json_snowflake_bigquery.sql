{#-
    Snowflake and BigQuery variants of the JSON macros (macros/cross_db/json.sql,
    json_arrays.sql, json_build.sql); tests/test_compile_dialects.py compiles the project
    for both. Neither engine has the variadic json_extract_path_text, json_extract_path,
    json_object (Snowflake) or a cast from JSON to text (BigQuery) that the defaults use.
-#}

{#- Snowflake's json_extract_path_text takes one dotted path, not one argument per key. -#}
{% macro snowflake__json_text(column, path) -%}
    json_extract_path_text({{ column }}, '{{ path }}')
{%- endmacro %}


{#- array_size is null for a value that is not an array. -#}
{% macro snowflake__json_array_length(column, path) -%}
    array_size(get_path(parse_json({{ column }}), '{{ path }}'))
{%- endmacro %}

{#- json_query_array is null for a value that is not an array. -#}
{% macro bigquery__json_array_length(column, path) -%}
    array_length(json_query_array({{ column }}, '$.{{ path }}'))
{%- endmacro %}


{#- get(array, index) then get(object, key); the variant cast to text unquotes a string. -#}
{% macro snowflake__json_array_item_text(column, path, index_expr, key) -%}
    cast(get(get(get_path(parse_json({{ column }}), '{{ path }}'), {{ index_expr }}), '{{ key }}') as varchar)
{%- endmacro %}

{#- BigQuery JSON paths are literals: the index goes through safe_offset on the array. -#}
{% macro bigquery__json_array_item_text(column, path, index_expr, key) -%}
    json_value(json_query_array({{ column }}, '$.{{ path }}')[safe_offset({{ index_expr }})], '$.{{ key }}')
{%- endmacro %}


{#- object_construct_keep_null keeps null values as json_object does elsewhere. -#}
{% macro snowflake__row_to_json_text(pairs) -%}
    to_json(object_construct_keep_null({% for key, value in pairs %}'{{ key }}', cast({{ value }} as varchar){% if not loop.last %}, {% endif %}{% endfor %}))
{%- endmacro %}

{% macro bigquery__row_to_json_text(pairs) -%}
    to_json_string(json_object({% for key, value in pairs %}'{{ key }}', cast({{ value }} as string){% if not loop.last %}, {% endif %}{% endfor %}))
{%- endmacro %}


{% macro snowflake__json_object_text(pairs) -%}
    to_json(object_construct_keep_null({% for key, expression in pairs %}'{{ key }}', {{ expression }}{% if not loop.last %}, {% endif %}{% endfor %}))
{%- endmacro %}

{% macro bigquery__json_object_text(pairs) -%}
    to_json_string(json_object({% for key, expression in pairs %}'{{ key }}', {{ expression }}{% if not loop.last %}, {% endif %}{% endfor %}))
{%- endmacro %}


{#- Snowflake has no string_agg: listagg orders within group (BigQuery's string_agg takes the default's order by). -#}
{% macro snowflake__json_array_agg_text(json_text, order_by) -%}
    ('[' || listagg({{ json_text }}, ',') within group (order by {{ order_by }}, {{ json_text }}) || ']')
{%- endmacro %}


{#- Both engines unescape backslashes in string literals, as Spark does: each one is written twice. -#}
{% macro snowflake__json_escape(expr) -%}
    {{ nudge.spark__json_escape(expr) }}
{%- endmacro %}

{% macro bigquery__json_escape(expr) -%}
    {{ nudge.spark__json_escape(expr) }}
{%- endmacro %}
