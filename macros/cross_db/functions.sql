{#-
    Helper functions an engine needs before any model runs, created by the project's
    on-run-start hook (dbt_project.yml) in the target schema. A no-op on engines whose SQL
    already has what the models use (DuckDB, Spark, Snowflake, BigQuery).
-#}
{% macro create_functions() -%}
    {{- return(adapter.dispatch('create_functions', 'nudge')()) -}}
{%- endmacro %}

{% macro default__create_functions() -%}
{%- endmacro %}

{#-
    Postgres has no non-raising casts, and no JSON check before the SQL/JSON `IS JSON`
    predicate of PostgreSQL 16. These pl/pgsql functions catch the parse error and return
    null (false for JSON), so they work on every supported version (the CI runs 15). Each
    call opens a subtransaction: fine for staging volumes, and the callers guard the casts
    with regexes so only plausible text is parsed.
    JSON is checked as jsonb, stricter than json in two ways DuckDB shares: a lone UTF-16
    surrogate escape is invalid, and so is \u0000, which json accepts but then fails to
    extract as text (json_text would raise on the row instead of reading null).
-#}
{% macro postgres__create_functions() -%}
    create schema if not exists {{ nudge.functions_schema() }};

    create or replace function {{ nudge.functions_schema() }}.nudge_is_valid_json(value text)
    returns boolean language plpgsql immutable parallel safe as $$
    begin
        if value is null then
            return null;
        end if;
        perform value::jsonb;
        return true;
    exception when others then
        return false;
    end;
    $$;

    create or replace function {{ nudge.functions_schema() }}.nudge_try_timestamp(value text)
    returns timestamp language plpgsql stable parallel safe as $$
    begin
        return value::timestamp;
    exception when others then
        return null;
    end;
    $$;

    create or replace function {{ nudge.functions_schema() }}.nudge_try_date(value text)
    returns date language plpgsql stable parallel safe as $$
    begin
        return value::date;
    exception when others then
        return null;
    end;
    $$;
{%- endmacro %}


{#- Where create_functions puts them: the target schema (dbt creates no other for them). -#}
{% macro functions_schema() -%}
    {{- return(adapter.quote(target.schema)) -}}
{%- endmacro %}
