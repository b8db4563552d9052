{#-
    "Now" for every time-dependent model: the dbt var `as_of` (an ISO instant; UTC when it
    carries no offset), else the environment variable NUDGE_AS_OF (same format), else the
    instant this dbt invocation started, in UTC. All are resolved in Jinja at compile time, so
    every model of one run shares the same literal and a run can be replayed as of any past
    moment. Rendered as a naive timestamp literal.

    NUDGE_AS_OF is read only while executing, never while parsing: dbt re-parses the whole
    project whenever `--vars` change, so nudge passes as_of this way and one parse serves
    every as_of.
-#}
{% macro as_of_instant() -%}
    {%- set configured = var('as_of', none) -%}
    {%- if execute and (configured is none or (configured | string | trim) == '') -%}
        {%- set configured = env_var('NUDGE_AS_OF', '') -%}
    {%- endif -%}
    {%- if configured is none or (configured | string | trim) == '' -%}
        {%- set instant = run_started_at.astimezone(modules.pytz.utc).replace(tzinfo=none) -%}
    {%- else -%}
        {%- set text = configured | string | trim | replace('Z', '+00:00') -%}
        {%- set instant = modules.datetime.datetime.fromisoformat(text) -%}
        {%- if instant.tzinfo is not none -%}
            {%- set instant = instant.astimezone(modules.pytz.utc).replace(tzinfo=none) -%}
        {%- endif -%}
    {%- endif -%}
    {{- return(instant.replace(microsecond=0)) -}}
{%- endmacro %}


{% macro as_of() -%}
    {{- return(adapter.dispatch('as_of', 'nudge')()) -}}
{%- endmacro %}

{% macro default__as_of() -%}
    cast('{{ nudge.as_of_instant().strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro bigquery__as_of() -%}
    datetime '{{ nudge.as_of_instant().strftime("%Y-%m-%d %H:%M:%S") }}'
{%- endmacro %}


{#- The `as_of` calendar date. -#}
{% macro as_of_date() -%}
    cast({{ nudge.as_of() }} as date)
{%- endmacro %}


{#-
    True for a raw row that had landed by as_of (its `landed_at_column` ≤ as_of), and for a
    row whose landing time is missing or unreadable, so the quarantine still sees it.
-#}
{% macro landed_by_as_of(landed_at_column) -%}
    ({{ nudge.safe_timestamp(landed_at_column) }} <= {{ nudge.as_of() }}
    or {{ nudge.safe_timestamp(landed_at_column) }} is null)
{%- endmacro %}
