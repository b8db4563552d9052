{#-
    Build stamps (on-run-end): one row per model this invocation built, with the as_of it was
    built as of and the instant it ran, in nudge_meta.model_builds. Activation refuses to
    sync or send from a model whose newest build was a replay (as_of far behind the instant
    it ran; activation/build_stamps.py). Insert-only, so it runs on every engine (Spark
    without Delta cannot update or delete); readers take the newest row per relation.
-#}
{% macro record_model_builds(results) -%}
    {%- if execute and results is defined -%}
        {%- set built = [] -%}
        {%- for result in results
            if result.node.resource_type == 'model' and (result.status | string) == 'success' -%}
            {%- do built.append(result.node.schema ~ '.' ~ (result.node.alias or result.node.name)) -%}
        {%- endfor -%}
        {%- if built -%}
            {%- set as_of = nudge.as_of_instant().strftime('%Y-%m-%d %H:%M:%S') -%}
            {%- set built_at = run_started_at.astimezone(modules.pytz.utc).strftime('%Y-%m-%d %H:%M:%S') -%}
            {%- do run_query('create schema if not exists nudge_meta') -%}
            {%- do run_query(
                'create table if not exists nudge_meta.model_builds ('
                ~ 'relation ' ~ dbt.type_string() ~ ', '
                ~ 'as_of ' ~ dbt.type_timestamp() ~ ', '
                ~ 'built_at ' ~ dbt.type_timestamp() ~ ', '
                ~ 'invocation_id ' ~ dbt.type_string() ~ ')'
            ) -%}
            {%- set rows = [] -%}
            {%- for relation in built -%}
                {%- do rows.append(
                    "('" ~ relation ~ "', cast('" ~ as_of ~ "' as " ~ dbt.type_timestamp() ~ "), cast('"
                    ~ built_at ~ "' as " ~ dbt.type_timestamp() ~ "), '" ~ invocation_id ~ "')"
                ) -%}
            {%- endfor -%}
            {%- do run_query('insert into nudge_meta.model_builds values ' ~ rows | join(', ')) -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
