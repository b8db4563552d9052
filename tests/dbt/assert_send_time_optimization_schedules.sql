{#-
    Send-time optimization's scheduling (macros/triggers/send_time.sql) on known cases, on
    every engine: send_after for the optimized arm (sto_pct 100) with the project's defaults
    pinned (20 h at most, quiet hours 21–8), so a change of the vars does not change what is
    checked. Fails with the cases whose send_after or arm differ from the expected ones.
    Cases: the preferred hour later the same local day; the next day; due_at already in that
    hour; a quiet preferred hour (23) sent at 08:00 instead; no preferred hour (the
    population's, 11); an urgent step (before sto_from_step); a preferred hour more than 20 h
    away; a trigger without STO; across the US spring DST change (the local hour, not the
    UTC offset, is kept).
-#}

{%- set ts = dbt.type_timestamp() -%}
{%- set cases = [
    ('later_today', 'c_paris14', 2, '2026-01-13 09:30:00', 'Europe/Paris', 100, '2026-01-13 13:00:00', 'optimized'),
    ('tomorrow', 'c_paris9', 2, '2026-01-13 15:00:00', 'Europe/Paris', 100, '2026-01-14 08:00:00', 'optimized'),
    ('within_the_hour', 'c_paris10', 2, '2026-01-13 09:30:00', 'Europe/Paris', 100, '2026-01-13 09:30:00', 'optimized'),
    ('quiet_hour_preferred', 'c_paris23', 2, '2026-01-13 13:00:00', 'Europe/Paris', 100, '2026-01-14 07:00:00', 'optimized'),
    ('population_hour', 'c_unknown', 2, '2026-01-13 14:00:00', 'America/New_York', 100, '2026-01-13 16:00:00', 'optimized'),
    ('urgent_step', 'c_paris14', 1, '2026-01-13 09:30:00', 'Europe/Paris', 100, '2026-01-13 09:30:00', 'optimized'),
    ('too_far', 'c_paris9', 2, '2026-01-13 11:00:00', 'Europe/Paris', 100, '2026-01-13 11:00:00', 'optimized'),
    ('no_sto', 'c_paris14', 2, '2026-01-13 09:30:00', 'Europe/Paris', 0, '2026-01-13 09:30:00', none),
    ('across_dst', 'c_nyc10', 2, '2026-03-07 20:00:00', 'America/New_York', 100, '2026-03-08 14:00:00', 'optimized'),
] -%}

with

cases as (

    {% for name, contact, step, due, tz, pct, expected, arm in cases -%}
        select
            '{{ name }}' as case_name,
            '{{ contact }}' as contact_id,
            'sto_case' as trigger_key,
            {{ step }} as step,
            cast('{{ due }}' as {{ ts }}) as due_at,
            '{{ tz }}' as timezone,
            {{ pct }} as sto_pct,
            2 as sto_from_step,
            cast('{{ expected }}' as {{ ts }}) as expected_send_after,
            {% if arm %}'{{ arm }}'{% else %}'none'{% endif %} as expected_arm
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

preferred_hours as (

    {% for contact, hour in [('c_paris14', 14), ('c_paris9', 9), ('c_paris10', 10), ('c_paris23', 23), ('c_nyc10', 10)] -%}
        select
            '{{ contact }}' as contact_id,
            {{ hour }} as preferred_send_hour
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

population_hour as (

    select 11 as population_send_hour

),

optimized as (

    {{ nudge.send_time_optimized('cases', 'preferred_hours', 'population_hour', max_delay_hours=20, quiet_hours=(21, 8)) }}

)

select
    case_name,
    due_at,
    expected_send_after,
    send_after,
    expected_arm,
    send_time_arm
from optimized
where
    send_after is null
    or send_after <> expected_send_after
    or coalesce(send_time_arm, 'none') <> expected_arm
