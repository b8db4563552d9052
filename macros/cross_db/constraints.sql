{#-
    dbt-spark applies a contract's `not_null` constraints with ALTER COLUMN ... SET NOT NULL
    whenever the model's file_format is unset, as if unset meant Delta; but an unset format
    builds a plain Parquet table, which rejects that statement. Apply them only to Delta
    tables (the one format that enforces them); elsewhere the not_null data tests on the
    same columns still check the data.
-#}
{% macro spark__persist_constraints(relation, model) -%}
    {%- if config.get('file_format') == 'delta' -%}
        {{ return(dbt_spark.spark__persist_constraints(relation, model)) }}
    {%- endif -%}
{%- endmacro %}
