{#- A cast that yields null instead of failing on unparseable input. -#}
{% macro safe_cast(expr, data_type) -%}
    {{- return(adapter.dispatch('safe_cast', 'nudge')(expr, data_type)) -}}
{%- endmacro %}

{#- Engines without a non-raising cast: a plain cast (inputs must already be clean). -#}
{% macro default__safe_cast(expr, data_type) -%}
    cast({{ expr }} as {{ data_type }})
{%- endmacro %}

{% macro duckdb__safe_cast(expr, data_type) -%}
    try_cast({{ expr }} as {{ data_type }})
{%- endmacro %}

{#- Also what dbt's own safe_cast resolves to on Spark (unit-test fixtures): types translated. -#}
{% macro spark__safe_cast(expr, data_type) -%}
    try_cast({{ expr }} as {{ nudge.engine_type(data_type) }})
{%- endmacro %}

{% macro snowflake__safe_cast(expr, data_type) -%}
    try_cast(cast({{ expr }} as varchar) as {{ data_type }})
{%- endmacro %}

{% macro bigquery__safe_cast(expr, data_type) -%}
    safe_cast({{ expr }} as {{ data_type }})
{%- endmacro %}


{#- Timestamps: the raw contract types them, but CSV / text drops may hold garbage. -#}
{% macro safe_timestamp(expr) -%}
    {{- return(adapter.dispatch('safe_timestamp', 'nudge')(expr)) -}}
{%- endmacro %}

{% macro default__safe_timestamp(expr) -%}
    {{ nudge.safe_cast(expr, dbt.type_timestamp()) }}
{%- endmacro %}

{#-
    Postgres cannot try-cast: accept only text shaped like an ISO instant, then parse it
    with a function that returns null instead of raising ('2026-02-30 10:00' has the shape
    but is no date; see macros/cross_db/functions.sql). A trailing zone ('Z', '+02:00') is
    accepted and ignored, as DuckDB's cast to timestamp does.
-#}
{% macro postgres__safe_timestamp(expr) -%}
    case
        when cast({{ expr }} as text) ~ '^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$'
            then {{ nudge.functions_schema() }}.nudge_try_timestamp(cast({{ expr }} as text))
    end
{%- endmacro %}


{#- 'YYYY-MM-DD' text as a date, else null. -#}
{% macro safe_date(expr) -%}
    {{- return(adapter.dispatch('safe_date', 'nudge')(expr)) -}}
{%- endmacro %}

{% macro default__safe_date(expr) -%}
    case
        when {{ nudge.regexp_like(expr, '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') }}
            then {{ nudge.safe_cast(expr, 'date') }}
    end
{%- endmacro %}


{#- Postgres: the same shape check; the parse must not raise on '1990-02-30'. -#}
{% macro postgres__safe_date(expr) -%}
    case
        when {{ nudge.regexp_like(expr, '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') }}
            then {{ nudge.functions_schema() }}.nudge_try_date({{ expr }})
    end
{%- endmacro %}


{#-
    Text holding a decimal number, as `data_type` (decimal(18, 2) by default); else null.
    Accepted: plain decimals ('12', '-3.50') with at most 15 digits before the point, and
    exponent forms ('1.5e-7', '1.0E3': how engines print some JSON numbers) with a one- or
    two-digit exponent whose value is below 1e15 in magnitude. Anything else (text, 'NaN',
    'Infinity', '12,50', 1e308, a 20-digit integer) is null, never a failed cast: every
    value read fits decimal(18, 2), rounding included. Regex guards rather than a try-cast, so every engine
    accepts exactly the same strings; the nested cases keep each cast behind its guard
    (PostgreSQL does not short-circuit `and`).
-#}
{% macro safe_number(expr, data_type='decimal(18, 2)') -%}
    case
        when {{ nudge.regexp_like(expr, '^-?[0-9]{1,15}([.][0-9]+)?$') }}
            then cast({{ expr }} as {{ data_type }})
        when {{ nudge.regexp_like(expr, '^-?[0-9]{1,20}([.][0-9]{1,20})?[eE][-+]?[0-9]{1,2}$') }}
            then case
                when abs(cast({{ expr }} as {{ nudge.type_double() }})) < 1e15
                    then cast(cast({{ expr }} as {{ nudge.type_double() }}) as {{ data_type }})
            end
    end
{%- endmacro %}


{#- True when `expr` holds a value (not null, not blank) that safe_number does not read. -#}
{% macro is_invalid_number(expr) -%}
    ({{ nudge.clean_text(expr) }} is not null and {{ nudge.safe_number(expr) }} is null)
{%- endmacro %}
