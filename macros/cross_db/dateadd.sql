{#-
    dbt.dateadd on Spark: dbt dispatches its own macros to the root project first, so this
    replaces dbt-spark's spark__dateadd, which goes through to_unix_timestamp and drops the
    fraction of a second (a series anchored at 17:39:36.033423 was scheduled at 17:39:36 on
    Spark, at 17:39:36.033423 on DuckDB and PostgreSQL). timestampadd keeps microseconds;
    the interval is cast to a whole number of `datepart`s, as dbt-spark's did.
-#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    {%- set units = ['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second', 'millisecond', 'microsecond'] -%}
    {%- if datepart | lower not in units -%}
        {{ exceptions.raise_compiler_error("dateadd: datepart " ~ datepart ~ " is not one of " ~ units | join(', ')) }}
    {%- endif -%}
    timestampadd({{ datepart | upper }}, cast({{ interval }} as bigint), cast({{ from_date_or_timestamp }} as timestamp))
{%- endmacro %}
