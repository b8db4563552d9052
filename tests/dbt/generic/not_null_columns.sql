{#-
    not_null on several columns of one model as one test: the rows where any of them is
    null, with the names of those that are (null_columns). It fails on every row a not_null
    test on any one of the columns fails on, but reads the relation once and is one node
    to run instead of one per column.
-#}
{% test not_null_columns(model, column_names) %}

{%- set flagged = [] -%}
{%- for column_name in column_names -%}
    {%- do flagged.append("case when " ~ column_name ~ " is null then '" ~ column_name ~ " ' else '' end") -%}
{%- endfor %}

select
    {{ dbt.concat(flagged) }} as null_columns,
    {{ column_names | join(', ') }}
from {{ model }}
where
    {% for column_name in column_names -%}
    {{ column_name }} is null{% if not loop.last %}
    or {% endif %}
    {%- endfor %}

{% endtest %}
