{#-
    Fingerprints, for an incremental model to tell which keys' inputs changed since its last
    run: equal inputs give equal text on the same engine (and, on DuckDB, the same version:
    a DuckDB whose hash differs makes every key look changed once, which only recomputes
    them). Not comparable across engines, and never stored anywhere a user reads.
-#}

{#- One row's `expressions` (nulls included, each in its place) as text. -#}
{% macro row_fingerprint(expressions) -%}
    {{- return(adapter.dispatch('row_fingerprint', 'nudge')(expressions)) -}}
{%- endmacro %}

{#- md5 of each value written as `<length>:<text>` (null as `-`), so no two lists of values
    write the same text. -#}
{% macro default__row_fingerprint(expressions) -%}
    {%- set parts = [] -%}
    {%- for expression in expressions -%}
        {%- set text = 'cast(' ~ expression ~ ' as ' ~ dbt.type_string() ~ ')' -%}
        {%- do parts.append('coalesce(' ~ dbt.concat([dbt.cast(dbt.length(text), dbt.type_string()), "':'", text]) ~ ", '-')") -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

{% macro duckdb__row_fingerprint(expressions) -%}
    cast(hash({{ expressions | join(', ') }}) as varchar)
{%- endmacro %}


{#- Aggregate: the group's row fingerprints as one text, whatever their order. -#}
{% macro fingerprint_agg(fingerprint) -%}
    {{- return(adapter.dispatch('fingerprint_agg', 'nudge')(fingerprint)) -}}
{%- endmacro %}

{% macro default__fingerprint_agg(fingerprint) -%}
    {{ dbt.hash(nudge.json_array_agg_text(fingerprint, fingerprint)) }}
{%- endmacro %}

{#- the 64-bit hashes summed (a hugeint: no overflow, and two equal rows do not cancel) -#}
{% macro duckdb__fingerprint_agg(fingerprint) -%}
    cast(sum(cast({{ fingerprint }} as ubigint)) as varchar)
{%- endmacro %}
