{#-
    The guardrail settings of this build, one row: what activation re-checks at the moment
    of sending (activation/sends/gate.py) against the clock of the send, so the send-time
    rules are the ones that planned the sends (dbt vars in dbt_project.yml, "triggers").
-#}

{%- set settings = {
    'max_send_lateness_hours': var('max_send_lateness_hours') | int,
    'quiet_hours_start': var('quiet_hours_start') | int,
    'quiet_hours_end': var('quiet_hours_end') | int,
    'max_sends_per_day': var('max_sends_per_day') | int,
    'max_sends_per_week': var('max_sends_per_week') | int,
} %}

{%- for name in ('quiet_hours_start', 'quiet_hours_end') if not 0 <= settings[name] <= 23 %}
    {{ exceptions.raise_compiler_error("dbt var " ~ name ~ " must be an hour from 0 to 23, got " ~ settings[name]) }}
{%- endfor %}
{%- for name, value in settings.items() if value < 0 %}
    {{ exceptions.raise_compiler_error("dbt var " ~ name ~ " must be 0 or more, got " ~ value) }}
{%- endfor %}

{#- the email frequencies a person may choose, as 'weekly=7,monthly=30' (one email per so many days) -#}
{%- set frequency_windows = [] %}
{%- for name, days in nudge.email_frequencies().items() if days %}
    {%- do frequency_windows.append(name ~ '=' ~ days) %}
{%- endfor %}

select
    {{ nudge.as_of() }} as as_of,
    {%- for name, value in settings.items() %}
        cast({{ value }} as {{ dbt.type_int() }}) as {{ name }},
    {%- endfor %}
    cast('{{ frequency_windows | join(",") }}' as {{ dbt.type_string() }}) as email_frequency_windows
