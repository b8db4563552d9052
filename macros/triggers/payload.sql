{#-
    `payload` (a JSON object in text) with `key` added in front, its value `json_value` (an
    expression giving JSON text: 'true', a number, an array from json_array_agg_text, …).
    String-level, so it is the same on every engine and keeps the payload's own formatting.
    Trimming reads the whole text, so a payload already starting with '{' and ending with '}'
    (every one the trigger models write) skips it.
-#}
{% macro json_object_prepend(payload, key, json_value) -%}
    {%- set trimmed = 'trim(coalesce(' ~ payload ~ ", '{}'))" -%}
    {%- set braced = "'{" ~ "%" ~ "}'" -%}
    case
        when {{ payload }} = '{}'
            then {{ dbt.concat(["'{\"" ~ key ~ "\": '", json_value, "'}'"]) }}
        when {{ payload }} like {{ braced }}
            then {{ dbt.concat(["'{\"" ~ key ~ "\": '", json_value, "', '", 'substr(' ~ payload ~ ', 2)']) }}
        when {{ trimmed }} = '{}'
            then {{ dbt.concat(["'{\"" ~ key ~ "\": '", json_value, "'}'"]) }}
        else {{ dbt.concat(["'{\"" ~ key ~ "\": '", json_value, "', '", 'substr(' ~ trimmed ~ ', 2)']) }}
    end
{%- endmacro %}


{#- A boolean expression as JSON text. -#}
{% macro json_boolean(condition) -%}
    case when {{ condition }} then 'true' else 'false' end
{%- endmacro %}
