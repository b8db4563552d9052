{#-
    Quiet hours (docs/contracts/behaviors.md, guardrail 5): a send scheduled between
    `quiet_hours_start` (default 21) and `quiet_hours_end` (default 8) o'clock in the
    contact's own time quiet_zone is deferred to `quiet_hours_end`:00 local, on the same local
    day when it falls after midnight, else on the next. Computed in local wall-clock time
    and converted back, so a DST change in between moves the UTC instant (08:00 in New York
    is 13:00 UTC in winter, 12:00 in summer). `tz` must be a validated quiet_zone name
    (int_contact_timezones_resolved; 'UTC' when unknown).
-#}
{% macro quiet_hours_due_at(scheduled_at, tz, opt_out) -%}
    {%- set start_hour = var('quiet_hours_start') | int -%}
    {%- set end_hour = var('quiet_hours_end') | int -%}
    {%- set local = nudge.utc_to_local(scheduled_at, tz) -%}
    {%- set local_hour = nudge.hour_of_day(local) -%}
    {%- set local_midnight = 'cast(cast(' ~ local ~ ' as date) as ' ~ dbt.type_timestamp() ~ ')' -%}
    {%- set same_day_end = nudge.local_to_utc(dbt.dateadd('hour', end_hour, local_midnight), tz) -%}
    {%- set next_day_end = nudge.local_to_utc(dbt.dateadd('hour', 24 + end_hour, local_midnight), tz) -%}
    case
        when {{ opt_out }} or {{ start_hour }} = {{ end_hour }} then {{ scheduled_at }}
        {% if start_hour > end_hour -%}
            when {{ local_hour }} >= {{ start_hour }} then {{ next_day_end }}
            when {{ local_hour }} < {{ end_hour }} then {{ same_day_end }}
        {%- else -%}
            when {{ local_hour }} >= {{ start_hour }} and {{ local_hour }} < {{ end_hour }} then {{ same_day_end }}
        {%- endif %}
        else {{ scheduled_at }}
    end
{%- endmacro %}


{#-
    quiet_hours_due_at over a whole relation: `sends` (a CTE or table name) with every
    column kept plus `due_at`. Converting to local time is the costly part, so it is done
    once per (zone, UTC hour) present rather than once per send (in the manner of
    int_send_hours_preferred): when the zone's clock runs exactly one hour over that UTC
    hour (no offset change inside it) and starts on a whole hour, every send in the hour
    has that hour's local hour and local date, so it is either not deferred (the hour's
    start is not deferred) or deferred to the hour start's due_at. Sends in other hours
    (a DST change, a half-hour offset) and with a null time take quiet_hours_due_at per
    send. Same result as quiet_hours_due_at on every row.
-#}
{% macro quiet_hours_deferred(sends, scheduled_at, tz, opt_out) -%}
    {%- set at = sends ~ '.' ~ scheduled_at -%}
    select
        {{ sends }}.*,
        case
            when {{ sends }}.{{ opt_out }} then {{ at }}
            when quiet_zone_hours.is_whole_hour and quiet_zone_hours.hour_due_at = quiet_zone_hours.utc_hour
                then {{ at }}
            when quiet_zone_hours.is_whole_hour then quiet_zone_hours.hour_due_at
            else {{ nudge.quiet_hours_due_at(at, sends ~ '.' ~ tz, sends ~ '.' ~ opt_out) }}
        end as due_at
    from {{ sends }}
    left join (
        select
            quiet_zone,
            utc_hour,
            {{ nudge.utc_to_local('(' ~ dbt.dateadd('hour', 1, 'utc_hour') ~ ')', 'quiet_zone') }}
            = {{ dbt.dateadd('hour', 1, nudge.utc_to_local('utc_hour', 'quiet_zone')) }}
            and {{ nudge.utc_to_local('utc_hour', 'quiet_zone') }}
            = {{ dbt.date_trunc('hour', nudge.utc_to_local('utc_hour', 'quiet_zone')) }} as is_whole_hour,
            {{ nudge.quiet_hours_due_at('utc_hour', 'quiet_zone', 'false') }} as hour_due_at
        from (
            select distinct
                {{ tz }} as quiet_zone,
                {{ dbt.date_trunc('hour', scheduled_at) }} as utc_hour
            from {{ sends }}
        ) as distinct_zone_hours
    ) as quiet_zone_hours
        on
            {{ sends }}.{{ tz }} = quiet_zone_hours.quiet_zone
            and {{ dbt.date_trunc('hour', at) }} = quiet_zone_hours.utc_hour
{%- endmacro %}
