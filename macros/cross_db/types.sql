{#-
    A type name as the engine spells it. The contracts (models/marts/**.yml) and seed
    column types use the common names (`varchar`, `integer`, `decimal(18,2)`, `timestamp`);
    Spark has no unbounded `varchar` (nor `text`), only `string`.
-#}
{% macro engine_type(data_type) -%}
    {{- return(adapter.dispatch('engine_type', 'nudge')(data_type)) -}}
{%- endmacro %}

{% macro default__engine_type(data_type) -%}
    {{- return(data_type) -}}
{%- endmacro %}

{% macro spark__engine_type(data_type) -%}
    {%- if (data_type | trim | lower) in ('varchar', 'text', 'character varying') -%}
        {{- return('string') -}}
    {%- else -%}
        {{- return(data_type) -}}
    {%- endif -%}
{%- endmacro %}


{#-
    dbt casts to a contract's declared types through its dispatched `cast` macro (the
    empty-schema query that checks an enforced contract): on Spark, translate them first.
    A root-project `spark__cast` takes precedence over dbt's default__cast.
-#}
{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ nudge.engine_type(type) }})
{%- endmacro %}
