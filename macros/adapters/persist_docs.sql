{#-
    persist_docs on DuckDB, in place of dbt-duckdb's, which asked DuckDB for the relation's
    columns twice and rewrote every comment on every run: four statements per model, even
    when an incremental run left its table and comments as they were (BENCHMARKS.md,
    nineteenth session). Here a table or view, which the run has just created, gets its
    columns read once and every comment written in one statement; an incremental table gets
    the comments it holds read (one query of DuckDB's catalog) and only those that differ
    from the descriptions written, so a run that leaves it in place writes none. As in dbt's,
    only documented columns the relation has get a comment, and the relation's only when the
    model has a description.
-#}
{% macro duckdb__persist_docs(relation, model, for_relation, for_columns) -%}
    {%- set relation_docs = for_relation and config.persist_relation_docs() and model.description -%}
    {%- set column_docs = for_columns and config.persist_column_docs() and model.columns -%}
    {%- if not (relation_docs or column_docs) or not execute -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set held = nudge.comments_held(relation) if model.config.materialized == 'incremental'
        else nudge.comments_of_new_relation(relation) -%}
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


{#- What a relation created by this run holds: no comment, and its columns (lower case). -#}
{% macro comments_of_new_relation(relation) -%}
    {%- set columns = {} -%}
    {%- for row in run_query('select lower(column_name) from (describe ' ~ relation ~ ')').rows -%}
        {%- do columns.update({row[0]: none}) -%}
    {%- endfor -%}
    {{- return({'relation': none, 'columns': columns}) -}}
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
