{#-
    Triggers are models tagged `trigger` (models/marts/triggers/definitions/, tagged by
    dbt_project.yml), one per trigger_key = the model name without `trigger_`, each
    selecting one row per series as of `as_of` with exactly the columns below
    (CONTRIBUTING.md, "Adding a trigger").
-#}

{% macro trigger_series_columns() -%}
    {{- return([
        ('contact_id', dbt.type_string()),
        ('series_id', dbt.type_string()),
        ('anchor_at', dbt.type_timestamp()),
        ('cancelled_at', dbt.type_timestamp()),
        ('cancel_reason', dbt.type_string()),
        ('reentry_key', dbt.type_string()),
        ('payload', dbt.type_string()),
    ]) -}}
{%- endmacro %}


{#- A trigger model's trigger_key: its name without the `trigger_` prefix. -#}
{% macro trigger_key_of(model_name) -%}
    {{- return(model_name[8:] if model_name.startswith('trigger_') else model_name) -}}
{%- endmacro %}


{#-
    One select per trigger model, unioned, with trigger_key from the model's name and every
    column cast to the interface's type; series without a contact, id or anchor are left
    out. The calling model must name each trigger model in a `-- depends_on:` line (the
    build fails with the lines to add). While parsing, or with no trigger model, an empty,
    correctly typed select.
-#}
{% macro trigger_series_rows() -%}
    {%- set nodes = nudge.tagged_model_nodes('trigger') -%}
    {%- do nudge.require_depends_on(nodes, 'trigger') -%}
    {%- set expected = nudge.trigger_series_columns() -%}

    {%- set selects = [] -%}
    {%- for node in nodes -%}
        {%- set relation = ref(node.name) -%}
        {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
        {%- set missing = [] -%}
        {%- for name, _ in expected if columns and name not in columns -%}
            {%- do missing.append(name) -%}
        {%- endfor -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                "trigger model " ~ node.name ~ " must select " ~ (missing | join(', '))
                ~ " (CONTRIBUTING.md, \"Adding a trigger\")"
            ) }}
        {%- endif -%}
        {%- set select -%}
            select
                cast('{{ nudge.trigger_key_of(node.name) }}' as {{ dbt.type_string() }}) as trigger_key,
                {% for name, data_type in expected -%}
                    cast({{ name }} as {{ data_type }}) as {{ name }},
                {% endfor -%}
                cast('{{ node.name }}' as {{ dbt.type_string() }}) as trigger_model
            from {{ relation }}
            where
                contact_id is not null
                and series_id is not null
                and anchor_at is not null
        {%- endset -%}
        {%- do selects.append(select) -%}
    {%- endfor -%}

    {%- if selects -%}
        {{ selects | join('\nunion all\n') }}
    {%- else -%}
        select
            cast(null as {{ dbt.type_string() }}) as trigger_key,
            {% for name, data_type in expected -%}
                cast(null as {{ data_type }}) as {{ name }},
            {% endfor -%}
            cast(null as {{ dbt.type_string() }}) as trigger_model
        where 1 = 0
    {%- endif -%}
{%- endmacro %}
