{#-
    Series → sends, with the trigger catalog (seeds/trigger_catalog.csv). Each macro renders
    one select over the CTE names it is given, so triggered_sends reads as a pipeline.
-#}

{#-
    Re-entry: with catalog reentry_days > 0, a series with a reentry_key is dropped when the
    previous series of the same (contact_id, trigger_key, reentry_key), kept or not, was
    anchored less than reentry_days before it. Counting from the previous series rather
    than the previous kept one keeps this a window function (no recursion, which Spark
    lacks): a contact who keeps re-triggering within the window waits for a quiet gap.
    `series_keys` is the same rows as `series` read again (not the same CTE, which DuckDB
    would copy whole): the window sorts only the keys of the series that re-entry applies
    to, not every series with its payload, and the dropped ones are left out of `series` by
    (contact_id, trigger_key, series_id), unique by the trigger interface.
-#}
{% macro trigger_series_reentry_filtered(series, series_keys, catalog) -%}
    select {{ series }}.*
    from {{ series }}
    left join (
        select
            ordered.contact_id,
            ordered.trigger_key,
            ordered.series_id
        from (
            select
                {{ series_keys }}.contact_id,
                {{ series_keys }}.trigger_key,
                {{ series_keys }}.series_id,
                {{ series_keys }}.anchor_at,
                {{ catalog }}.reentry_days,
                lag({{ series_keys }}.anchor_at) over (
                    partition by {{ series_keys }}.contact_id, {{ series_keys }}.trigger_key, {{ series_keys }}.reentry_key
                    order by {{ series_keys }}.anchor_at, {{ series_keys }}.series_id
                ) as previous_anchor_at
            from {{ series_keys }}
            inner join {{ catalog }}
                on {{ series_keys }}.trigger_key = {{ catalog }}.trigger_key
            where
                {{ series_keys }}.reentry_key is not null
                and {{ catalog }}.reentry_days > 0
        ) as ordered
        where ordered.anchor_at < {{ dbt.dateadd('day', 'ordered.reentry_days', 'ordered.previous_anchor_at') }}
    ) as reentered
        on
            {{ series }}.contact_id = reentered.contact_id
            and {{ series }}.trigger_key = reentered.trigger_key
            and {{ series }}.series_id = reentered.series_id
    where reentered.series_id is null
{%- endmacro %}


{#-
    One row per (series, step) for every step the catalog gives a delay: scheduled_at =
    anchor_at + step_N_delay_minutes, with the catalog's priority, ESP metric, incentive
    flag, quiet-hours opt-out, variant split, send-time optimization arm share and email
    topic.
-#}
{% macro trigger_series_steps(series, catalog) -%}
    {%- set max_steps = 3 -%}
    select
        expanded.*,
        {{ dbt.dateadd('minute', 'expanded.delay_minutes', 'expanded.anchor_at') }} as scheduled_at
    from (
        select
            {{ series }}.*,
            step_numbers.step,
            case step_numbers.step
                {% for n in range(1, max_steps + 1) -%}
                    when {{ n }} then {{ catalog }}.step_{{ n }}_delay_minutes
                {% endfor -%}
            end as delay_minutes,
            {{ catalog }}.priority,
            {{ catalog }}.esp_metric,
            coalesce({{ catalog }}.incentive_step = step_numbers.step, false) as is_incentive,
            coalesce({{ catalog }}.quiet_hours_opt_out, false) as quiet_hours_opt_out,
            coalesce({{ catalog }}.variant_b_pct, 0) as variant_b_pct,
            coalesce({{ catalog }}.sto_pct, 0) as sto_pct,
            {{ catalog }}.sto_from_step,
            {{ catalog }}.topic
        from {{ series }}
        inner join {{ catalog }}
            on {{ series }}.trigger_key = {{ catalog }}.trigger_key
        cross join (
            {% for n in range(1, max_steps + 1) -%}
                select {{ n }} as step{% if not loop.last %} union all {% endif %}
            {%- endfor %}
        ) as step_numbers
    ) as expanded
    where expanded.delay_minutes is not null
{%- endmacro %}
