{#-
    A source table written outside dbt (activation's send ledger, the predictions), read
    typed: one select of `columns` ([(name, type), …]) cast to their types. The table may
    not exist yet (a fresh warehouse: nothing has been sent or predicted), so the models
    over it still build: until it appears this is an empty relation with the same columns,
    and the next run after it appears reads it. A column the table lacks (written by an
    older Nudge, or by hand) reads as null. While parsing (`execute` false) nothing is
    looked up and the empty select is rendered.
-#}
{% macro optional_source(relation, columns) -%}
    {%- set found = load_relation(relation) if execute else none -%}
    {%- set present = [] -%}
    {%- if found is not none -%}
        {%- set present = adapter.get_columns_in_relation(found) | map(attribute='name') | map('lower') | list -%}
    {%- endif -%}
    select
        {% for name, data_type in columns -%}
            cast({{ name if name in present else 'null' }} as {{ data_type }}) as {{ name }}{% if not loop.last %},{% endif %}
        {% endfor -%}
    {% if found is not none -%}
        from {{ relation }}
    {%- else -%}
        where 1 = 0
    {%- endif %}
{%- endmacro %}
