{#-
    The category part of a category_browser__<category> segment key: the category
    lower-cased, spaces as underscores (models/marts/segments/definitions/segment_category_browser.sql
    builds the key the same way).
-#}
{% macro category_segment_key(category) -%}
    replace(lower(trim({{ category }})), ' ', '_')
{%- endmacro %}
