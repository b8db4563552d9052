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


{#-
    For a model incremental by a key whose rows hold a hash of their inputs: the keys an
    incremental run recomputes, from `current` (a CTE of every key now with its
    `fingerprint` column): the new keys, those whose hash changed, and the held ones no longer
    there (replace_keys then deletes their rows). Every current key when since is none.
-#}
{% macro keys_with_changed_fingerprint(current, key, fingerprint, since) -%}
    select {{ current }}.{{ key }}
    from {{ current }}
    {%- if since is not none %}
        left join (select distinct {{ key }}, {{ fingerprint }} from {{ this }}) as held
            on {{ current }}.{{ key }} = held.{{ key }}
        where
            held.{{ fingerprint }} is null
            or held.{{ fingerprint }} <> {{ current }}.{{ fingerprint }}

        union all

        select held.{{ key }}
        from (select distinct {{ key }} from {{ this }}) as held
        left join {{ current }}
            on held.{{ key }} = {{ current }}.{{ key }}
        where {{ current }}.{{ key }} is null
    {%- endif %}
{%- endmacro %}
