{#-
    Building JSON in TEXT (trigger payloads), the same on every engine up to key order and
    spacing. Null values are not portable (Spark's to_json drops the key, the others keep
    null) and neither are timestamps (Spark writes ISO with a zone): coalesce values and
    cast timestamps to text before passing them.
-#}

{#- A JSON object from (key, expression) pairs; numbers stay numbers, booleans booleans. -#}
{% macro json_object_text(pairs) -%}
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

{#- collect_list does not keep an order: sort (order key, text) structs, then keep the text. -#}
{% macro spark__json_array_agg_text(json_text, order_by) -%}
    concat('[', array_join(transform(array_sort(collect_list(named_struct('k', {{ order_by }}, 'v', {{ json_text }}))), x -> x.v), ','), ']')
{%- endmacro %}
