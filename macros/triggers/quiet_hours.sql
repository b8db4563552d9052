{#-
    Quiet hours (docs/contracts/behaviors.md, guardrail 5): a send scheduled between
    `quiet_hours_start` (default 21) and `quiet_hours_end` (default 8) o'clock in the
    contact's own time zone is deferred to `quiet_hours_end`:00 local, on the same local
    day when it falls after midnight, else on the next. Computed in local wall-clock time
    and converted back, so a DST change in between moves the UTC instant (08:00 in New York
    is 13:00 UTC in winter, 12:00 in summer). `tz` must be a validated zone name
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
