{#-
    Send-time optimization (STO; docs/contracts/behaviors.md, "Guardrails", 7). Per
    trigger, the catalog's sto_pct of contacts (a hash of contact_id and trigger_key, as
    the holdout and the A/B variant) are in the 'optimized' arm, the rest in 'due_time';
    a trigger with sto_pct 0, or every trigger when `sto_max_delay_hours` is 0, has no arm.
    An optimized contact's steps from the catalog's sto_from_step on (earlier steps are
    urgent) get send_after = the first start of its preferred local hour
    (int_send_hours_preferred, else the population's) after due_at, when it comes within
    `sto_max_delay_hours`; a due_at already inside that hour, an hour that does not come in
    time, or no hour known leave send_after = due_at. The preferred hour is never a quiet
    one: an hour inside quiet hours becomes `quiet_hours_end`, where the quiet-hours rule
    would have moved the send. Expiry still counts from due_at (send_expires_at), so the
    delay must stay under `max_send_lateness_hours`: STO never makes a send stale, and the
    send-time gate holds a send until its send_after (activation/sends/gate.py).
-#}

{% macro sto_max_delay_hours(hours=none) -%}
    {%- set hours = (var('sto_max_delay_hours') if hours is none else hours) | int -%}
    {%- set lateness = var('max_send_lateness_hours') | int -%}
    {%- if hours < 0 or (hours > 0 and hours >= lateness) -%}
        {{ exceptions.raise_compiler_error(
            "dbt var sto_max_delay_hours must be 0 (off) or more but less than max_send_lateness_hours ("
            ~ lateness ~ "): a send's expiry counts from its due_at, so a longer wait would let it go stale; got "
            ~ hours
        ) }}
    {%- endif -%}
    {{ return(hours) }}
{%- endmacro %}


{#- 'optimized', 'due_time', or null when the trigger has no STO arm. -#}
{% macro send_time_arm(contact_id, trigger_key, sto_pct, max_delay_hours=none) -%}
    {%- if nudge.sto_max_delay_hours(max_delay_hours) == 0 -%}
        cast(null as {{ dbt.type_string() }})
    {%- else -%}
        case
            when {{ sto_pct }} > 0 and {{ nudge.hash_bucket('send_time', [contact_id, trigger_key]) }} < {{ sto_pct }}
                then 'optimized'
            when {{ sto_pct }} > 0 then 'due_time'
        end
    {%- endif -%}
{%- endmacro %}


{#- A local hour (0–23) moved out of quiet hours (start, end; default the dbt vars) to their end. -#}
{% macro hour_outside_quiet_hours(hour, quiet_hours=none) -%}
    {%- set start_hour = (var('quiet_hours_start') if quiet_hours is none else quiet_hours[0]) | int -%}
    {%- set end_hour = (var('quiet_hours_end') if quiet_hours is none else quiet_hours[1]) | int -%}
    {%- if start_hour == end_hour -%}
        {{ hour }}
    {%- elif start_hour > end_hour -%}
        case when {{ hour }} >= {{ start_hour }} or {{ hour }} < {{ end_hour }} then {{ end_hour }} else {{ hour }} end
    {%- else -%}
        case when {{ hour }} >= {{ start_hour }} and {{ hour }} < {{ end_hour }} then {{ end_hour }} else {{ hour }} end
    {%- endif -%}
{%- endmacro %}


{#-
    STO over a whole relation: `sends` (a CTE with contact_id, trigger_key, step, due_at,
    timezone, sto_pct, sto_from_step) with every column kept plus send_time_arm and
    send_after; `preferred_hours` = int_send_hours_preferred, `population_hour` =
    int_send_hours_preferred_population (one row or none). Only the optimized sends are
    converted to local time. `max_delay_hours` and `quiet_hours` (start, end) default to the
    dbt vars (tests/dbt/assert_send_time_optimization_schedules pins them).
-#}
{% macro send_time_optimized(sends, preferred_hours, population_hour, max_delay_hours=none, quiet_hours=none) -%}
    {%- set max_delay = nudge.sto_max_delay_hours(max_delay_hours) -%}
    {%- set arm = nudge.send_time_arm(sends ~ '.contact_id', sends ~ '.trigger_key', sends ~ '.sto_pct', max_delay) -%}
    {%- set preferred = 'coalesce(' ~ preferred_hours ~ '.preferred_send_hour, ' ~ population_hour ~ '.population_send_hour)' -%}
    select
        candidates.*,
        case
            when
                candidates.sto_candidate_at > candidates.due_at
                and candidates.sto_candidate_at <= {{ dbt.dateadd('hour', max_delay, 'candidates.due_at') }}
                then candidates.sto_candidate_at
            else candidates.due_at
        end as send_after
    from (
        select
            located.*,
            case
                when located.sto_hour > located.sto_local_hour
                    then {{ nudge.local_to_utc(dbt.dateadd('hour', 'located.sto_hour', 'located.sto_local_midnight'), 'located.timezone') }}
                when located.sto_hour < located.sto_local_hour
                    then {{ nudge.local_to_utc(dbt.dateadd('hour', '24 + located.sto_hour', 'located.sto_local_midnight'), 'located.timezone') }}
            end as sto_candidate_at
        from (
            select
                armed.*,
                {{ nudge.hour_of_day('armed.sto_local_due_at') }} as sto_local_hour,
                cast(cast(armed.sto_local_due_at as date) as {{ dbt.type_timestamp() }}) as sto_local_midnight
            from (
                select
                    {{ sends }}.*,
                    {{ arm }} as send_time_arm,
                    case
                        when {{ arm }} = 'optimized' and {{ sends }}.step >= {{ sends }}.sto_from_step
                            then {{ nudge.hour_outside_quiet_hours(preferred, quiet_hours) }}
                    end as sto_hour,
                    case
                        when {{ arm }} = 'optimized' and {{ sends }}.step >= {{ sends }}.sto_from_step
                            then {{ nudge.utc_to_local(sends ~ '.due_at', sends ~ '.timezone') }}
                    end as sto_local_due_at
                from {{ sends }}
                left join {{ preferred_hours }}
                    on {{ sends }}.contact_id = {{ preferred_hours }}.contact_id
                left join {{ population_hour }}
                    on 1 = 1
            ) as armed
        ) as located
    ) as candidates
{%- endmacro %}
