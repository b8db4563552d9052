"""The SQL that picks what the send-time gate (gate.py) looks at: ``triggered_sends`` rows the
build found 'due' or 'capped' (caps are decided again at the moment of sending) that the
ledger has not settled: no row yet, 'pending' from an interrupted run, 'failed' under the
attempt limit (but never one given up as maybe delivered: outcome_unknown), or waiting
('deferred' by quiet hours, 'capped'); and none that another target (the account before a
key rotation, another destination) sent, left 'pending' or gave up as maybe delivered.

Each row carries its contact's built profile (``suppressed_because``: no profile, the
profile's suppression reason, no valid email, no consent) and, for the frequency caps, the
sends already made to its normalized email address (every contact sharing it) in the last
24 hours and 7 days and the last of them (a chosen email frequency allows one per window),
from the ledger of every destination: 'sent', and 'pending' or given up as maybe delivered
('failed', outcome_unknown): an interrupted call may have gone out. Rows come grouped by
address, in the order the caps give sends their place: a send already pending first, then
catalog priority, due_at and send_key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..errors import DeclarationError
from ..warehouse import WarehouseConnection
from .ledger import LEDGER_TABLE, OUTCOME_UNKNOWN

TRIGGERED_SENDS = ("triggers", "triggered_sends")
CONTACT_PROFILES = ("contacts", "contact_profiles")
REQUIRED_COLUMNS = {
    TRIGGERED_SENDS: (
        "timezone",
        "quiet_hours_opt_out",
        "priority",
        "send_after",
        "topic",
        "as_of",
    ),
    CONTACT_PROFILES: (
        "email",
        "has_consent",
        "is_suppressed",
        "consent_changed_at",
        "frequency_window_days",
    ),
}

CANDIDATE_COLUMNS = (
    "send_key",
    "contact_id",
    "trigger_key",
    "step",
    "series_id",
    "variant",
    "esp_metric",
    "payload",
    "due_at",
    "send_after",
    "topic",
    "timezone",
    "priority",
    "quiet_hours_opt_out",
    "ledger_status",
    "ledger_attempts",
    "ledger_created_at",
    "ledger_deferred_until",
    "ledger_expires_at",
    "ledger_first_attempt_at",
    "email",
    "address_key",
    "consent_since",
    "suppressed_because",
    "frequency_window_days",
    "sent_24h",
    "sent_7d",
    "last_sent_at",
)


@dataclass(frozen=True)
class CandidateQuery:
    sql: str
    params: list[object]


def check_tables(warehouse: WarehouseConnection) -> None:
    """The tables the candidates read, with the columns the gate needs: a warehouse built by
    an older Nudge is named, with the fix."""
    for relation, needed in REQUIRED_COLUMNS.items():
        columns = warehouse.columns(*relation)
        name = ".".join(relation)
        if columns is None:
            problem = f"triggered sends need {name}, which {warehouse.location} does not have yet"
        elif missing := [column for column in needed if column not in columns]:
            problem = f"{name} lacks {', '.join(missing)} (built by an older Nudge)"
        else:
            continue
        raise DeclarationError([f"{problem}; build the dbt project (nudge build)"])


def candidates(
    target: str,
    max_attempts: int,
    trigger_key: str | None,
    now: datetime,
    history: timedelta = timedelta(days=7),
) -> CandidateQuery:
    """``history``: how far back the address's sends are read (the longest cap window: the
    week, or a chosen frequency's)."""
    sends = ".".join(TRIGGERED_SENDS)
    profiles = ".".join(CONTACT_PROFILES)
    only_trigger = "and ts.trigger_key = ?" if trigger_key is not None else ""
    sql = f"""
with recent_by_contact as (
    select
        contact_id,
        sum(case when coalesce(sent_at, updated_at) > ? then 1 else 0 end) as sent_24h,
        sum(case when coalesce(sent_at, updated_at) > ? then 1 else 0 end) as sent_7d,
        max(coalesce(sent_at, updated_at)) as last_sent_at
    from {LEDGER_TABLE}
    where
        (status in ('sent', 'pending') or status_reason = '{OUTCOME_UNKNOWN}')
        and coalesce(sent_at, updated_at) > ?
    group by contact_id
),
addresses as (
    select contact_id, lower(trim(email)) as address_key
    from {profiles}
    where email is not null
),
recent_by_address as (
    select
        addresses.address_key,
        sum(recent_by_contact.sent_24h) as sent_24h,
        sum(recent_by_contact.sent_7d) as sent_7d,
        max(recent_by_contact.last_sent_at) as last_sent_at
    from recent_by_contact
    inner join addresses
        on recent_by_contact.contact_id = addresses.contact_id
    group by addresses.address_key
),
picked as (
    select
        ts.send_key,
        ts.contact_id,
        ts.trigger_key,
        ts.step,
        ts.series_id,
        ts.variant,
        ts.esp_metric,
        ts.payload,
        ts.due_at,
        ts.send_after,
        ts.topic,
        ts.timezone,
        ts.priority,
        ts.quiet_hours_opt_out,
        l.status as ledger_status,
        l.attempts as ledger_attempts,
        l.created_at as ledger_created_at,
        l.deferred_until as ledger_deferred_until,
        l.expires_at as ledger_expires_at,
        l.first_attempt_at as ledger_first_attempt_at,
        cp.email,
        coalesce(lower(trim(cp.email)), 'contact:' || ts.contact_id) as address_key,
        cp.consent_changed_at as consent_since,
        case
            when cp.contact_id is null then 'no_contact_profile'
            when cp.is_suppressed then coalesce(cp.suppression_reason, 'suppressed')
            when cp.email is null then 'invalid_email'
            when not coalesce(cp.has_consent, false) then 'no_consent'
        end as suppressed_because,
        cp.frequency_window_days
    from {sends} as ts
    left join {LEDGER_TABLE} as l
        on ts.send_key = l.send_key and l.destination_target = ?
    left join {profiles} as cp
        on ts.contact_id = cp.contact_id
    where
        ts.status in ('due', 'capped')
        and (
            l.status is null
            or l.status in ('pending', 'deferred', 'capped')
            or (
                l.status = 'failed'
                and l.attempts < ?
                and coalesce(l.status_reason, '') <> '{OUTCOME_UNKNOWN}'
            )
        )
        -- at most once across accounts too: the target changes with a rotated key or
        -- another destination, and its ledger rows start empty
        and not exists (
            select 1
            from {LEDGER_TABLE} as elsewhere
            where
                elsewhere.send_key = ts.send_key
                and elsewhere.destination_target <> ?
                and (
                    elsewhere.status in ('sent', 'pending')
                    or elsewhere.status_reason = '{OUTCOME_UNKNOWN}'
                )
        )
        {only_trigger}
)
select
    picked.*,
    cast(coalesce(a.sent_24h, c.sent_24h, 0) as integer) as sent_24h,
    cast(coalesce(a.sent_7d, c.sent_7d, 0) as integer) as sent_7d,
    coalesce(a.last_sent_at, c.last_sent_at) as last_sent_at
from picked
left join recent_by_address as a
    on picked.address_key = a.address_key
left join recent_by_contact as c
    on picked.contact_id = c.contact_id
order by
    picked.address_key,
    case when picked.ledger_status = 'pending' then 0 else 1 end,
    picked.priority,
    picked.due_at,
    picked.send_key
"""
    day, week = now - timedelta(hours=24), now - timedelta(days=7)
    params: list[object] = [
        day,
        week,
        now - max(history, timedelta(days=7)),
        target,
        max_attempts,
        target,
    ]
    if trigger_key is not None:
        params.append(trigger_key)
    return CandidateQuery(sql, params)


def count_sql(query: CandidateQuery) -> CandidateQuery:
    return CandidateQuery(f"select count(*) from ({query.sql}) as candidates", query.params)
