{#-
    persist_docs on DuckDB, in place of dbt-duckdb's: one query reads the comments the relation
    and its columns carry now, and one statement writes those that differ from the model's
    descriptions. dbt-duckdb's asked DuckDB for the columns twice and rewrote every comment on
    every run, four statements per model even when an incremental run left its table and
    comments as they were (BENCHMARKS.md, nineteenth session). As in dbt's, only documented
    columns the relation has get a comment, and the relation's only when the model has a
    description.
-#}
{% macro duckdb__persist_docs(relation, model, for_relation, for_columns) -%}
    {%- set relation_docs = for_relation and config.persist_relation_docs() and model.description -%}
    {%- set column_docs = for_columns and config.persist_column_docs() and model.columns -%}
    {%- if not (relation_docs or column_docs) or not execute -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set held = nudge.comments_held(relation) -%}
    {%- set statements = [] -%}
    {%- if relation_docs and held.relation != model.description -%}
        {%- do statements.append(
            'comment on ' ~ relation.type ~ ' ' ~ relation ~ ' is ' ~ nudge.text_literal(model.description)
        ) -%}
    {%- endif -%}
    {%- for name, column in (model.columns.items() if column_docs else []) -%}
        {%- set description = column.description or '' -%}
        {%- if (name | lower) in held.columns and held.columns[name | lower] != description -%}
            {%- do statements.append(
                'comment on column ' ~ relation ~ '.' ~ (adapter.quote(name) if column.quote else name)
                ~ ' is ' ~ nudge.text_literal(description)
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if statements -%}
        {%- do run_query(statements | join(';\n')) -%}
    {%- endif -%}
{%- endmacro %}


{#- The comments `relation` and its columns carry: `relation` (its own, '' when none) and
    `columns` (lower-case column name -> comment, '' when none), in one query. -#}
{% macro comments_held(relation) -%}
    {%- set same_relation -%}
        lower(database_name) = lower({{ nudge.text_literal(relation.database) }})
        and lower(schema_name) = lower({{ nudge.text_literal(relation.schema) }})
    {%- endset -%}
    {%- set held = run_query(
        'select cast(null as varchar) as column_name, comment from duckdb_tables() where ' ~ same_relation
        ~ ' and lower(table_name) = lower(' ~ nudge.text_literal(relation.identifier) ~ ')'
        ~ ' union all select null, comment from duckdb_views() where ' ~ same_relation
        ~ ' and lower(view_name) = lower(' ~ nudge.text_literal(relation.identifier) ~ ')'
        ~ ' union all select lower(column_name), comment from duckdb_columns() where ' ~ same_relation
        ~ ' and lower(table_name) = lower(' ~ nudge.text_literal(relation.identifier) ~ ')'
    ) -%}
    {%- set found = {'relation': '', 'columns': {}} -%}
    {%- for row in held.rows -%}
        {%- if row[0] is none -%}
            {%- do found.update({'relation': row[1] or ''}) -%}
        {%- else -%}
            {%- do found.columns.update({row[0]: row[1] or ''}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(found) -}}
{%- endmacro %}
