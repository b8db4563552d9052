{#-
    A naive UTC timestamp as the naive wall-clock time in the IANA zone `tz` (an expression).
    `tz` must be a zone the engine knows: validate it first (seeds/timezone_names.csv holds
    the names DuckDB, PostgreSQL and Spark all accept; int_contact_timezones_resolved maps
    anything else to 'UTC'). Every engine raises on an unknown zone.
-#}
{% macro utc_to_local(ts, tz) -%}
    {{- return(adapter.dispatch('utc_to_local', 'nudge')(ts, tz)) -}}
{%- endmacro %}

{#- SQL standard (PostgreSQL, Snowflake, Trino): the naive value read as UTC, shown in tz. -#}
{% macro default__utc_to_local(ts, tz) -%}
    (({{ ts }} at time zone 'UTC') at time zone {{ tz }})
{%- endmacro %}

{#- timezone(zone, timestamp) reads a naive value as local to zone; with a timestamptz it converts. -#}
{% macro duckdb__utc_to_local(ts, tz) -%}
    timezone({{ tz }}, timezone('UTC', {{ ts }}))
{%- endmacro %}

{% macro spark__utc_to_local(ts, tz) -%}
    from_utc_timestamp({{ ts }}, {{ tz }})
{%- endmacro %}


{#- ISO day of the week of a timestamp or date: 1 = Monday … 7 = Sunday. -#}
{% macro iso_day_of_week(ts) -%}
    {{- return(adapter.dispatch('iso_day_of_week', 'nudge')(ts)) -}}
{%- endmacro %}

{% macro default__iso_day_of_week(ts) -%}
    cast(extract(isodow from {{ ts }}) as {{ dbt.type_int() }})
{%- endmacro %}

{#- Spark's dayofweek is 1 = Sunday … 7 = Saturday; weekday is 0 = Monday … 6 = Sunday. -#}
{% macro spark__iso_day_of_week(ts) -%}
    (weekday({{ ts }}) + 1)
{%- endmacro %}


{#- Hour of the day (0–23) of a timestamp, as an integer. -#}
{% macro hour_of_day(ts) -%}
    {{- return(adapter.dispatch('hour_of_day', 'nudge')(ts)) -}}
{%- endmacro %}

{% macro default__hour_of_day(ts) -%}
    cast(extract(hour from {{ ts }}) as {{ dbt.type_int() }})
{%- endmacro %}

{% macro spark__hour_of_day(ts) -%}
    hour({{ ts }})
{%- endmacro %}
