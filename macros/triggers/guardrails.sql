{#-
    The status of each send (docs/contracts/behaviors.md, "Guardrails"). One status per
    send, decided in this order, the first that applies wins:

      sent        the activation ledger has it sent by as_of (never due again)
      suppressed  the ledger skipped it at send time (the ledger's reason)
      expired     the ledger found it too late at the moment of sending
      cancelled   the series was cancelled by as_of, before the send expired
      suppressed  the contact may not be emailed now (contact_profiles.suppression_reason)
      suppressed  the person opted out of the trigger's email topic (topic_opted_out)
      expired     as_of − due_at > max_send_lateness_hours, never sent
      held_out    the contact is in this trigger's holdout
      scheduled   send_after (due_at, or later by send-time optimization) is still ahead
      capped      frequency caps per email address, then the person's chosen frequency
                  (trigger_sends_capped, after this)
      due         sendable now

    A send whose series is cancelled after it expired stays expired; everything is
    recomputed from the data and the ledger on each run, so a re-run as of the same instant
    gives the same statuses and a capped send is reconsidered on the next run.
-#}

{#- The deterministic holdout: a pure function of (contact_id, trigger_key). -#}
{% macro is_held_out(contact_id, trigger_key) -%}
    {%- set pct = var('holdout_pct') | int -%}
    {%- if pct < 0 or pct > 100 -%}
        {{ exceptions.raise_compiler_error("dbt var holdout_pct must be between 0 and 100 (0 disables the holdout), got " ~ pct) }}
    {%- endif -%}
    ({{ nudge.hash_bucket('holdout', [contact_id, trigger_key]) }} < {{ pct }})
{%- endmacro %}


{#- The A/B variant: 'B' for variant_b_pct percent of contacts per trigger, else 'A'. -#}
{% macro ab_variant(contact_id, trigger_key, variant_b_pct) -%}
    case
        when {{ nudge.hash_bucket('variant', [contact_id, trigger_key]) }} < {{ variant_b_pct }} then 'B'
        else 'A'
    end
{%- endmacro %}


{#- When an unsent send stops being sendable. -#}
{% macro send_expires_at(due_at) -%}
    {%- set hours = var('max_send_lateness_hours') | int -%}
    {%- if hours < 0 -%}
        {{ exceptions.raise_compiler_error("dbt var max_send_lateness_hours must be 0 or more, got " ~ hours) }}
    {%- endif -%}
    {{ dbt.dateadd('hour', hours, due_at) }}
{%- endmacro %}


{#-
    Guardrails 1–3 plus the ledger and cancellation, over `sends` (a CTE with due_at,
    expires_at, cancelled_at, cancel_reason, ledger_sent_at, ledger_skipped_reason,
    ledger_expired_reason,
    is_suppressed, suppression_reason, is_topic_opted_out, is_held_out, scheduled_at,
    send_after): adds status and
    status_reason, 'due' still subject to the caps.
-#}
{% macro trigger_send_status(sends) -%}
    select
        {{ sends }}.*,
        case
            when ledger_sent_at is not null then 'sent'
            when ledger_skipped_reason is not null then 'suppressed'
            when ledger_expired_reason is not null then 'expired'
            when cancelled_at <= {{ nudge.as_of() }} and cancelled_at <= expires_at then 'cancelled'
            when is_suppressed then 'suppressed'
            when is_topic_opted_out then 'suppressed'
            when {{ nudge.as_of() }} > expires_at then 'expired'
            when is_held_out then 'held_out'
            when send_after > {{ nudge.as_of() }} then 'scheduled'
            else 'due'
        end as status,
        case
            when ledger_sent_at is not null then 'ledger_sent'
            when ledger_skipped_reason is not null then ledger_skipped_reason
            when ledger_expired_reason is not null then ledger_expired_reason
            when cancelled_at <= {{ nudge.as_of() }} and cancelled_at <= expires_at then coalesce(cancel_reason, 'cancelled')
            when is_suppressed then coalesce(suppression_reason, 'suppressed')
            when is_topic_opted_out then 'topic_opted_out'
            when {{ nudge.as_of() }} > expires_at then 'max_send_lateness'
            when is_held_out then 'holdout'
            when send_after > due_at then 'send_time_optimized'
            when due_at > scheduled_at then 'quiet_hours'
        end as status_reason
    from {{ sends }}
{%- endmacro %}


{#-
    True for a send whose status trigger_send_status gives the same at `as_of` as at
    `last_as_of` (an earlier run's) as far as time goes: not yet sendable at as_of
    (send_after after it), not expired by then, and its cancellation, if any, in effect at
    both or at neither. Such a send can only change status through its own row, the ledger
    or its contact's guards, which triggered_sends checks apart. Never null.
-#}
{% macro send_status_unchanged_by_time(last_as_of) -%}
    (
        coalesce(send_after > {{ nudge.as_of() }}, false)
        and coalesce(expires_at > {{ nudge.as_of() }}, true)
        and (
            cancelled_at is null
            or cancelled_at > {{ nudge.as_of() }}
            or cancelled_at <= {{ nudge.timestamp_literal(last_as_of) }}
        )
    )
{%- endmacro %}


{#-
    What the frequency caps count by: the contact's normalized email address
    (contact_profiles.email_key), so every contact sharing an address shares its caps (one
    person never gets two sends because two contact ids share an address); the contact
    itself when it has no address. Counting per address covers counting per contact: a
    contact's sends are among its address's.
-#}
{% macro send_cap_key(email_key, contact_id) -%}
    coalesce({{ email_key }}, {{ dbt.concat(["'contact:'", contact_id]) }})
{%- endmacro %}


{#-
    Guardrail 4, frequency caps, over `statused` (trigger_send_status's output, with
    cap_key and frequency_window_days) and `recent_sends` (one row per cap_key: sent_24h,
    sent_7d and last_sent_at from the ledger): per address (send_cap_key), the due sends
    are ranked by catalog priority (1 first), then due_at and send_key; the first
    max_sends_per_day − sent_24h (and max_sends_per_week − sent_7d) stay due, the rest are
    'capped'. A person who chose a frequency (one email per frequency_window_days) gets
    the first only, and none while the last email is younger than the window
    ('email_frequency'). Only the due sends are ranked (a few hundred of a year's sends),
    joined back by send_key (unique), so the window does not sort every send with its
    payload.
-#}
{% macro trigger_sends_capped(statused, recent_sends) -%}
    {%- set per_day = var('max_sends_per_day') | int -%}
    {%- set per_week = var('max_sends_per_week') | int -%}
    {%- set over_frequency = 'ranked.frequency_window_days is not null and (ranked.due_rank > 1 or '
        ~ dbt.dateadd('day', 'ranked.frequency_window_days', 'ranked.last_sent_at') ~ ' > ' ~ nudge.as_of() ~ ')' -%}
    select
        ranked.*,
        case
            when ranked.status <> 'due' then ranked.status
            when ranked.due_rank > {{ per_day }} - ranked.sent_24h then 'capped'
            when ranked.due_rank > {{ per_week }} - ranked.sent_7d then 'capped'
            when {{ over_frequency }} then 'capped'
            else 'due'
        end as capped_status,
        case
            when ranked.status <> 'due' then ranked.status_reason
            when ranked.due_rank > {{ per_day }} - ranked.sent_24h then 'max_sends_per_day'
            when ranked.due_rank > {{ per_week }} - ranked.sent_7d then 'max_sends_per_week'
            when {{ over_frequency }} then 'email_frequency'
            else ranked.status_reason
        end as capped_status_reason
    from (
        select
            {{ statused }}.*,
            coalesce({{ recent_sends }}.sent_24h, 0) as sent_24h,
            coalesce({{ recent_sends }}.sent_7d, 0) as sent_7d,
            {{ recent_sends }}.last_sent_at,
            due_ranks.due_rank
        from {{ statused }}
        left join {{ recent_sends }}
            on {{ statused }}.cap_key = {{ recent_sends }}.cap_key
        left join (
            select
                send_key,
                row_number() over (
                    partition by cap_key
                    order by priority, due_at, send_key
                ) as due_rank
            from {{ statused }}
            where status = 'due'
        ) as due_ranks
            on {{ statused }}.send_key = due_ranks.send_key
    ) as ranked
{%- endmacro %}
