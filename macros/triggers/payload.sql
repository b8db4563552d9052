{#-
    `payload` (a JSON object in text) with `key` added in front, its value `json_value` (an
    expression giving JSON text: 'true', a number, an array from json_array_agg_text, …).
    String-level, so it is the same on every engine and keeps the payload's own formatting.
-#}
{% macro json_object_prepend(payload, key, json_value) -%}
    {%- set trimmed = 'trim(coalesce(' ~ payload ~ ", '{}'))" -%}
    case
        when {{ trimmed }} = '{}'
            then {{ dbt.concat(["'{\"" ~ key ~ "\": '", json_value, "'}'"]) }}
        else {{ dbt.concat(["'{\"" ~ key ~ "\": '", json_value, "', '", 'substr(' ~ trimmed ~ ', 2)']) }}
    end
{%- endmacro %}


{#- A boolean expression as JSON text. -#}
{% macro json_boolean(condition) -%}
    case when {{ condition }} then 'true' else 'false' end
{%- endmacro %}
