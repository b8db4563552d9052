{#-
    Models found from the graph by tag, for the union models that discover their inputs
    (segment_memberships finds models tagged `segment`, triggered_sends those tagged
    `trigger`). The graph is only filled at execution, so while parsing this is empty.
-#}
{% macro tagged_model_nodes(tag) -%}
    {%- set nodes = [] -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values() -%}
            {%- if node.resource_type == 'model' and tag in node.tags -%}
                {%- do nodes.append(node) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return(nodes | sort(attribute='name')) -}}
{%- endmacro %}


{#-
    dbt only runs a model after the models it refs, and it learns those refs while parsing,
    when the graph is still empty: the calling model must name every discovered model in a
    `-- depends_on:` comment. A model missing there fails the build with the lines to add
    instead of being silently skipped (or read before it is rebuilt).
-#}
{% macro require_depends_on(nodes, kind) -%}
    {%- set missing = [] -%}
    {%- for node in nodes -%}
        {%- if node.unique_id not in model.depends_on.nodes -%}
            {%- do missing.append("-- depends_on: {{ ref('" ~ node.name ~ "') }}") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ " must depend on every " ~ kind ~ " model; add to " ~ model.original_file_path ~ ":\n"
            ~ (missing | join('\n'))
        ) }}
    {%- endif -%}
{%- endmacro %}
