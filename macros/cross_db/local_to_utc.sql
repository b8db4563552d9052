{#-
    The inverse of utc_to_local (macros/cross_db/local_time.sql): a naive wall-clock time in
    the IANA zone `tz` (an expression, validated like utc_to_local's) as a naive UTC
    timestamp. Wall-clock times that do not exist (the hour skipped when DST starts) or
    exist twice are resolved by each engine's own rule; callers use times clear of the
    02:00–03:00 transitions (quiet hours defer to 08:00).
-#}
{% macro local_to_utc(ts, tz) -%}
    {{- return(adapter.dispatch('local_to_utc', 'nudge')(ts, tz)) -}}
{%- endmacro %}

{#- SQL standard (PostgreSQL, Snowflake, Trino): the naive value read in tz, shown in UTC; `ts`
    is parenthesized because AT TIME ZONE binds tighter than + (ts may be an addition). -#}
{% macro default__local_to_utc(ts, tz) -%}
    ((({{ ts }}) at time zone {{ tz }}) at time zone 'UTC')
{%- endmacro %}

{#- timezone(zone, naive) reads the value as local to zone; timezone('UTC', timestamptz) shows it in UTC. -#}
{% macro duckdb__local_to_utc(ts, tz) -%}
    timezone('UTC', timezone({{ tz }}, ({{ ts }})))
{%- endmacro %}

{% macro spark__local_to_utc(ts, tz) -%}
    to_utc_timestamp(({{ ts }}), {{ tz }})
{%- endmacro %}
