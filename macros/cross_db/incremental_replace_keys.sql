{#-
    The `replace_keys` incremental strategy: the run's rows replace every row of the keys it
    re-processed, including keys left with no rows at all (a device re-stitched to another
    contact, a replay of an earlier as_of). The batch carries `_replaced_key` on every row;
    a re-processed key without rows comes as one row whose own columns are all null.
    Plain delete + insert: DuckDB, PostgreSQL and any engine with delete (Spark builds
    these models as tables, see incremental_config).
    A table built before its model was incremental lacks processed_as_of: incremental_since
    then re-processes every key, and the batch's columns the table lacks are added first
    (dbt's append_new_columns would add _replaced_key too), so no row keeps them null. A
    column the model gained since an incremental run would be null in the rows this run
    leaves alone: the run stops and names the rebuild instead.
-#}
{% macro get_incremental_replace_keys_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set batch = arg_dict['temp_relation'] -%}
    {%- set key = arg_dict['unique_key'] -%}
    {%- set held = arg_dict['dest_columns'] | map(attribute='name') | map('lower') | list -%}
    {%- set added = [] -%}
    {%- for column in adapter.get_columns_in_relation(batch) if (column.name | lower) not in held + ['_replaced_key'] -%}
        {%- do added.append(column) -%}
    {%- endfor -%}
    {%- if added and 'processed_as_of' in held -%}
        {%- do exceptions.raise_compiler_error(
            target ~ ' lacks the column(s) ' ~ (added | map(attribute='name') | join(', '))
            ~ ' its model now writes, which the rows this incremental run leaves alone would hold'
            ~ ' as null: rebuild it with `dbt build --full-refresh --select ' ~ model.name ~ '`'
        ) -%}
    {%- endif -%}
    {%- set columns = get_quoted_csv((arg_dict['dest_columns'] + added) | map(attribute='name')) -%}
    {%- for column in added %}
    alter table {{ target }} add column {{ adapter.quote(column.name) }} {{ column.data_type }};
    {%- endfor %}

    delete from {{ target }}
    where {{ key }} in (select _replaced_key from {{ batch }});

    insert into {{ target }} ({{ columns }})
    select {{ columns }}
    from {{ batch }}
    where {{ key }} is not null
{%- endmacro %}


{#-
    The model's final select: `rows` (a CTE) as is in a full build; in an incremental run,
    every key of `affected` (a CTE or query with a `key` column: the keys this run
    re-processed) with its rows from `rows`, or alone when it has none any more. When since
    is none (a replay of an earlier as_of) every key already in the table is re-processed too.
-#}
{% macro replace_keys(rows, key, affected, since) -%}
    {%- if is_incremental() %}
        select
            {{ rows }}.*,
            replaced.{{ key }} as _replaced_key
        from (
            select {{ key }} from {{ affected }}
            union
            select {{ key }} from {{ this }}
            {%- if since is not none %}
                where 1 = 0
            {%- endif %}
        ) as replaced
        left join {{ rows }}
            on replaced.{{ key }} = {{ rows }}.{{ key }}
    {%- else %}
        select * from {{ rows }}
    {%- endif %}
{%- endmacro %}
