{#-
    Segments are models tagged `segment` (models/marts/segments/definitions/, tagged by
    dbt_project.yml): one model per segment, selecting contact_id and optional reason
    columns as of `as_of`. Its segment_key is the model name without the `segment_`
    prefix, or, for a model producing several segments (rfm_<name>,
    category_browser__<category>), its own `segment_key` column.
-#}

{#- The segment models, from the graph at execution time (macros/graph/tagged_models.sql). -#}
{% macro segment_model_nodes() -%}
    {{- return(nudge.tagged_model_nodes('segment')) -}}
{%- endmacro %}


{#- A segment model's default segment_key: its name without the `segment_` prefix. -#}
{% macro segment_key_of(model_name) -%}
    {{- return(model_name[8:] if model_name.startswith('segment_') else model_name) -}}
{%- endmacro %}


{#-
    One select per segment model, unioned: segment_key, contact_id, the model's name and its
    other columns as a JSON object in text (segment_reason). Columns are read from the
    built relations, so this renders real SQL only at execution; while parsing (and on
    a warehouse where nothing is built yet) it renders an empty, correctly typed select.

    dbt only runs a model after the models it refs, and it learns those refs while parsing,
    when the graph is still empty: the calling model must name every segment model in a
    `-- depends_on:` comment. A segment model missing there fails the build with the line
    to add instead of being silently skipped.
-#}
{% macro segment_membership_rows() -%}
    {%- set nodes = nudge.segment_model_nodes() -%}
    {%- do nudge.require_depends_on(nodes, 'segment') -%}

    {%- set selects = [] -%}
    {%- for node in nodes -%}
        {%- set relation = ref(node.name) -%}
        {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
        {%- if columns and 'contact_id' not in columns -%}
            {{ exceptions.raise_compiler_error("segment model " ~ node.name ~ " must select contact_id") }}
        {%- endif -%}
        {%- if 'contact_id' in columns -%}
            {%- set reason_columns = [] -%}
            {%- for column in columns if column not in ('contact_id', 'segment_key') -%}
                {%- do reason_columns.append(column) -%}
            {%- endfor -%}
            {%- set select -%}
                select
                    {% if 'segment_key' in columns -%}
                        cast(segment_key as {{ dbt.type_string() }})
                    {%- else -%}
                        cast('{{ nudge.segment_key_of(node.name) }}' as {{ dbt.type_string() }})
                    {%- endif %} as segment_key,
                    cast(contact_id as {{ dbt.type_string() }}) as contact_id,
                    cast('{{ node.name }}' as {{ dbt.type_string() }}) as segment_model,
                    {% if reason_columns -%}
                        {{ nudge.row_to_json_text(reason_columns) }}
                    {%- else -%}
                        cast(null as {{ dbt.type_string() }})
                    {%- endif %} as segment_reason
                from {{ relation }}
                where contact_id is not null
            {%- endset -%}
            {%- do selects.append(select) -%}
        {%- endif -%}
    {%- endfor -%}

    {%- if selects -%}
        {{ selects | join('\nunion all\n') }}
    {%- else -%}
        select
            cast(null as {{ dbt.type_string() }}) as segment_key,
            cast(null as {{ dbt.type_string() }}) as contact_id,
            cast(null as {{ dbt.type_string() }}) as segment_model,
            cast(null as {{ dbt.type_string() }}) as segment_reason
        where 1 = 0
    {%- endif -%}
{%- endmacro %}
