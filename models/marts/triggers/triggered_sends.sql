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

    Incremental: a run decides again the status of every send that may have another one
    than the last run wrote (from a narrow read of its times and keys): the sends not past
    their expiry at the last run's as_of but those whose times leave their status as it was
    (nudge.send_status_unchanged_by_time: most are a year's scheduled sends), those
    int_trigger_sends_timed rewrote since, those
    the ledger gives another outcome than the one written, and every send of a contact
    whose guardrail inputs changed (guard_fingerprint: the profile's suppression, address
    and topic choices). A send past its expiry can only change status through those inputs
    (sent, suppressed, expired or cancelled are then all that is left: caps, holdout and
    scheduling apply before expiry). Only the sends whose status, reason, sent_at or guard
    fingerprint changed, or whose timed row was rewritten, are written again; the others get
    the run's as_of, and sends that no longer exist are deleted (triggered_sends_completed).
    A run as of an instant before the last one rewrites all. A column decided here rather
    than in int_trigger_sends_timed must join the comparison in `changed`, or a row whose
    value changed would not be written.
-#}

{%- set last_as_of = nudge._first_value('select max(as_of) from ' ~ this) if is_incremental() else none %}
{#- a table written before it held guard fingerprints is decided again in full, once -#}
{%- set holds_guards = is_incremental() and 'guard_fingerprint' in (adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list) %}
{%- set rewrites_all = last_as_of is none or last_as_of > nudge.as_of_instant() or not holds_guards %}

with

profiles as (

    select * from {{ ref('contact_profiles') }}

),

ledger as (

    select * from {{ ref('int_ledger_sends_summarized') }}

),

topic_preferences as (

    select * from {{ ref('int_topic_preferences_derived') }}

),

topic_choices as (

    select
        email_key,
        {{ nudge.fingerprint_agg(nudge.row_fingerprint(['topic', 'is_subscribed'])) }} as topic_fingerprint
    from topic_preferences
    group by email_key

),

-- what a send past its expiry still depends on, per contact: whether it has a profile, its
-- suppression, its address and that address's topic choices
contact_guards as (

    select
        profiles.contact_id,
        {{ nudge.row_fingerprint([
            'profiles.is_suppressed',
            'profiles.suppression_reason',
            'profiles.email_key',
            'topic_choices.topic_fingerprint',
        ]) }} as guard_fingerprint
    from profiles
    left join topic_choices
        on profiles.email_key = topic_choices.email_key

),
{%- if not rewrites_all %}

-- the status and reason each ledger outcome gives (macros/triggers/guardrails.sql)
ledger_outcomes as (

    select
        send_key,
        sent_at,
        case
            when sent_at is not null then 'sent'
            when skipped_reason is not null then 'suppressed'
            when expired_reason is not null then 'expired'
        end as status,
        case
            when sent_at is not null then 'ledger_sent'
            when skipped_reason is not null then skipped_reason
            else expired_reason
        end as status_reason
    from ledger

),

-- the ledger's outcomes that differ from the ones the last run wrote
ledger_changed as (

    select ledger_outcomes.send_key
    from ledger_outcomes
    left join {{ this }} as last_built
        on ledger_outcomes.send_key = last_built.send_key
    where
        ledger_outcomes.status is not null
        and (
            last_built.send_key is null
            or ledger_outcomes.status is distinct from last_built.status
            or ledger_outcomes.status_reason is distinct from last_built.status_reason
            or ledger_outcomes.sent_at is distinct from last_built.sent_at
        )

),

last_guards as (

    select distinct
        contact_id,
        guard_fingerprint
    from {{ this }}

),

-- the contacts whose guard fingerprint differs from the one their sends were written with
guards_changed as (

    select last_guards.contact_id
    from last_guards
    left join contact_guards
        on last_guards.contact_id = contact_guards.contact_id
    where last_guards.guard_fingerprint is distinct from contact_guards.guard_fingerprint

),
{%- endif %}

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
    {%- if not rewrites_all %}
        where
            (
                coalesce(expires_at >= {{ nudge.timestamp_literal(last_as_of) }}, true)
                and not {{ nudge.send_status_unchanged_by_time(last_as_of) }}
            )
            or {{ nudge.written_after(last_as_of) }}
            or send_key in (select ledger_changed.send_key from ledger_changed)
            or contact_id in (select guards_changed.contact_id from guards_changed)
    {%- endif %}

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
        {{ nudge.send_cap_key('profiles.email_key', 'timed.contact_id') }} as cap_key,
        contact_guards.guard_fingerprint
    from timed
    left join ledger
        on timed.send_key = ledger.send_key
    left join profiles
        on timed.contact_id = profiles.contact_id
    left join topic_preferences
        on
            profiles.email_key = topic_preferences.email_key
            and timed.topic = topic_preferences.topic
    left join contact_guards
        on timed.contact_id = contact_guards.contact_id

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
        or capped.guard_fingerprint is distinct from last_built.guard_fingerprint
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
    {{ nudge.as_of() }} as as_of,
    capped.guard_fingerprint
from capped
inner join {{ ref('int_trigger_sends_timed') }} as sends
    on capped.send_key = sends.send_key
{% if not rewrites_all -%}
    inner join changed
        on capped.send_key = changed.send_key
{% endif -%}
