{%- set materialization = nudge.incremental_config('send_key', strategy='delete+insert', on_schema_change='append_new_columns') %}
{%- do materialization.update({'post_hook': [
    "{{ nudge.triggered_sends_completed(ref('int_trigger_sends_timed')) }}",
]}) %}
{{ config(**materialization) }}

{#-
    One row per send (contact_id, trigger_key, series_id, step) of every trigger as of
    `as_of` (docs/contracts/behaviors.md, "Triggers" and "Guardrails"): the sends of
    int_trigger_sends_timed (series, re-entry, steps, quiet hours, send-time optimization,
    expiry, holdout, variant, payload), each given one status by the ledger, cancellation and
    the guardrails in order (macros/triggers/).

    Incremental: every send's status is decided again on each run (from a narrow read of
    its times and keys), and only the sends whose status, reason or sent_at changed, or
    whose row int_trigger_sends_timed rewrote since the last run, are written again; the
    others get the run's as_of, and sends that no longer exist are deleted
    (triggered_sends_completed). A run as of an instant before the last one rewrites all.
    A column decided here rather than in int_trigger_sends_timed must join the comparison
    in `changed`, or a row whose value changed would not be written.
-#}

{%- set last_as_of = nudge._first_value('select max(as_of) from ' ~ this) if is_incremental() else none %}
{%- set rewrites_all = last_as_of is none or last_as_of > nudge.as_of_instant() %}

with

timed as (

    select
        send_key,
        contact_id,
        trigger_key,
        priority,
        topic,
        scheduled_at,
        due_at,
        send_after,
        expires_at,
        cancelled_at,
        cancel_reason,
        is_held_out
    from {{ ref('int_trigger_sends_timed') }}

),

profiles as (

    select * from {{ ref('contact_profiles') }}

),

ledger as (

    select * from {{ ref('int_ledger_sends_summarized') }}

),

ledger_sends as (

    select
        {{ nudge.send_cap_key('profiles.email_key', 'ledger.contact_id') }} as cap_key,
        ledger.sent_at
    from ledger
    left join profiles
        on ledger.contact_id = profiles.contact_id
    where ledger.sent_at is not null

),

recent_sends as (

    select
        cap_key,
        sum(case when sent_at > {{ dbt.dateadd('hour', -24, nudge.as_of()) }} then 1 else 0 end) as sent_24h,
        sum(case when sent_at > {{ dbt.dateadd('day', -7, nudge.as_of()) }} then 1 else 0 end) as sent_7d,
        max(sent_at) as last_sent_at
    from ledger_sends
    group by cap_key

),

topic_preferences as (

    select * from {{ ref('int_topic_preferences_derived') }}

),

checked as (

    select
        timed.*,
        ledger.sent_at as ledger_sent_at,
        ledger.skipped_reason as ledger_skipped_reason,
        ledger.expired_reason as ledger_expired_reason,
        coalesce(profiles.is_suppressed, true) as is_suppressed,
        case when profiles.contact_id is null then 'unknown_contact' else profiles.suppression_reason end
            as suppression_reason,
        coalesce(not topic_preferences.is_subscribed, false) as is_topic_opted_out,
        profiles.frequency_window_days,
        {{ nudge.send_cap_key('profiles.email_key', 'timed.contact_id') }} as cap_key
    from timed
    left join ledger
        on timed.send_key = ledger.send_key
    left join profiles
        on timed.contact_id = profiles.contact_id
    left join topic_preferences
        on
            profiles.email_key = topic_preferences.email_key
            and timed.topic = topic_preferences.topic

),

statused as (

    {{ nudge.trigger_send_status('checked') }}

),

capped as (

    {{ nudge.trigger_sends_capped('statused', 'recent_sends') }}

){%- if not rewrites_all %},

-- the sends to write again: a new status, reason or sent_at, or a row rewritten upstream
changed as (

    select capped.send_key
    from capped
    left join {{ this }} as last_built
        on capped.send_key = last_built.send_key
    where
        last_built.send_key is null
        or capped.capped_status is distinct from last_built.status
        or capped.capped_status_reason is distinct from last_built.status_reason
        or capped.ledger_sent_at is distinct from last_built.sent_at
    union
    select send_key
    from {{ ref('int_trigger_sends_timed') }}
    where {{ nudge.written_after(last_as_of) }}

)
{%- endif %}

select
    sends.send_key,
    sends.contact_id,
    sends.trigger_key,
    sends.series_id,
    sends.step,
    sends.anchor_at,
    sends.scheduled_at,
    sends.due_at,
    sends.send_after,
    sends.send_time_arm,
    cast(capped.capped_status as {{ dbt.type_string() }}) as status,
    cast(capped.capped_status_reason as {{ dbt.type_string() }}) as status_reason,
    sends.variant,
    sends.priority,
    sends.esp_metric,
    sends.topic,
    sends.payload,
    sends.is_incentive,
    sends.timezone,
    sends.quiet_hours_opt_out,
    sends.cancelled_at,
    capped.ledger_sent_at as sent_at,
    sends.trigger_model,
    {{ nudge.as_of() }} as as_of
from capped
inner join {{ ref('int_trigger_sends_timed') }} as sends
    on capped.send_key = sends.send_key
{% if not rewrites_all -%}
    inner join changed
        on capped.send_key = changed.send_key
{% endif -%}
