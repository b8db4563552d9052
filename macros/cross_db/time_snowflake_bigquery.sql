{#-
    Snowflake and BigQuery variants of the time macros (macros/cross_db/local_time.sql,
    local_to_utc.sql, json_build.sql's timestamp_key). Neither engine has AT TIME ZONE;
    naive timestamps are TIMESTAMP_NTZ on Snowflake and DATETIME on BigQuery.
-#}

{#- convert_timezone(source zone, target zone, naive value) returns a naive value. -#}
{% macro snowflake__utc_to_local(ts, tz) -%}
    convert_timezone('UTC', {{ tz }}, ({{ ts }}))
{%- endmacro %}

{% macro snowflake__local_to_utc(ts, tz) -%}
    convert_timezone({{ tz }}, 'UTC', ({{ ts }}))
{%- endmacro %}

{#- timestamp(datetime, zone) reads the wall-clock value in zone; datetime(timestamp, zone) shows it there. -#}
{% macro bigquery__utc_to_local(ts, tz) -%}
    datetime(timestamp(cast(({{ ts }}) as datetime), 'UTC'), {{ tz }})
{%- endmacro %}

{% macro bigquery__local_to_utc(ts, tz) -%}
    datetime(timestamp(cast(({{ ts }}) as datetime), {{ tz }}), 'UTC')
{%- endmacro %}


{% macro snowflake__iso_day_of_week(ts) -%}
    cast(dayofweekiso({{ ts }}) as {{ dbt.type_int() }})
{%- endmacro %}

{#- BigQuery's dayofweek is 1 = Sunday … 7 = Saturday. -#}
{% macro bigquery__iso_day_of_week(ts) -%}
    (mod(extract(dayofweek from {{ ts }}) + 5, 7) + 1)
{%- endmacro %}


{% macro bigquery__timestamp_key(ts) -%}
    format_datetime('%Y-%m-%dT%H:%M:%S', cast({{ ts }} as datetime))
{%- endmacro %}


{#-
    Naive timestamps are DATETIME on BigQuery (bigquery__as_of), and BigQuery compares no
    TIMESTAMP with a DATETIME: dbt's own type_timestamp and date_trunc (which cast to
    TIMESTAMP there) are overridden from the root project, as dbt dispatches its macros to
    it first. dbt-bigquery's dateadd and datediff already work on DATETIME.
-#}
{% macro bigquery__type_timestamp() -%}
    datetime
{%- endmacro %}

{% macro bigquery__date_trunc(datepart, date) -%}
    datetime_trunc(cast({{ date }} as datetime), {{ datepart }})
{%- endmacro %}
