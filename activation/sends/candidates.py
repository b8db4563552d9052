"""The SQL that picks what to send: ``triggered_sends`` rows with status 'due' that the ledger
has not settled (no row, 'pending' from an interrupted run, or 'failed' under the attempt
limit), each with the reason its contact is suppressed *now* (null: send it).

Suppression at send time, in order: no contact profile; contact_profiles says suppressed
(its own reason); no valid email; no consent; a suppression read back from the ESP that
landed after the triggered_sends build's ``as_of`` (``esp_<reason>``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .ledger import LEDGER_TABLE
from .suppressions import SUPPRESSIONS_TABLE

TRIGGERED_SENDS = ("triggers", "triggered_sends")
CONTACT_PROFILES = ("contacts", "contact_profiles")

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
    "ledger_status",
    "ledger_attempts",
    "ledger_created_at",
    "email",
    "suppressed_because",
)


@dataclass(frozen=True)
class CandidateQuery:
    sql: str
    params: list[object]


def candidates(target: str, max_attempts: int, trigger_key: str | None) -> CandidateQuery:
    sends = ".".join(TRIGGERED_SENDS)
    profiles = ".".join(CONTACT_PROFILES)
    only_trigger = "and ts.trigger_key = ?" if trigger_key is not None else ""
    sql = f"""
with esp_matches as (
    select contact_id, landed_at, reason
    from {SUPPRESSIONS_TABLE}
    where contact_id is not null
    union all
    select cp.contact_id, s.landed_at, s.reason
    from {SUPPRESSIONS_TABLE} as s
    inner join {profiles} as cp
        on lower(s.email) = lower(cp.email)
),
esp_suppressed as (
    select
        contact_id,
        max(landed_at) as last_landed_at,
        max(reason) as reason
    from esp_matches
    group by contact_id
)
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
    l.status as ledger_status,
    l.attempts as ledger_attempts,
    l.created_at as ledger_created_at,
    cp.email,
    case
        when cp.contact_id is null then 'no_contact_profile'
        when cp.is_suppressed then coalesce(cp.suppression_reason, 'suppressed')
        when cp.email is null then 'invalid_email'
        when not coalesce(cp.has_consent, false) then 'no_consent'
        when esp.last_landed_at > ts.as_of then 'esp_' || esp.reason
    end as suppressed_because
from {sends} as ts
left join {LEDGER_TABLE} as l
    on ts.send_key = l.send_key and l.destination_target = ?
left join {profiles} as cp
    on ts.contact_id = cp.contact_id
left join esp_suppressed as esp
    on ts.contact_id = esp.contact_id
where
    ts.status = 'due'
    and (
        l.status is null
        or l.status = 'pending'
        or (l.status = 'failed' and l.attempts < ?)
    )
    {only_trigger}
order by ts.due_at, ts.priority, ts.send_key
"""
    params: list[object] = [target, max_attempts]
    if trigger_key is not None:
        params.append(trigger_key)
    return CandidateQuery(sql, params)


def count_sql(query: CandidateQuery) -> CandidateQuery:
    return CandidateQuery(f"select count(*) from ({query.sql}) as candidates", query.params)
