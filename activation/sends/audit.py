"""What the emails that left look like against the guardrails, from the ledger alone: how
many left later than the lateness limit after their due_at (for a send that quiet hours
deferred, not counting the quiet hours in between), inside quiet hours in the contact's
zone, or over the caps of their address. The demo prints it after its sends; a non-zero
count is a bug.

    audit = audit_sends(warehouse, since=run_started_at)
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..warehouse import WarehouseConnection
from .candidates import CONTACT_PROFILES, TRIGGERED_SENDS
from .ledger import LEDGER_TABLE
from .policy import SendPolicy, load_policy
from .quiet_hours import in_quiet_hours, local_time, quiet_time_between


@dataclass(frozen=True)
class SendAudit:
    sent: int
    past_lateness: int
    in_quiet_hours: int
    over_caps: int  # sends that made their address exceed a cap


def audit_sends(warehouse: WarehouseConnection, since: datetime) -> SendAudit:
    """Audit the sends the ledger recorded 'sent' at or after ``since``."""
    policy = load_policy(warehouse)
    opt_outs = {
        str(trigger)
        for trigger, opts_out in warehouse.fetchall(
            f"select distinct trigger_key, quiet_hours_opt_out from {'.'.join(TRIGGERED_SENDS)}"
        )
        if opts_out
    }
    rows = warehouse.fetchall(
        "select l.sent_at, l.due_at, l.timezone, l.trigger_key, l.deferred_until is not null,"
        " coalesce(lower(trim(p.email)), 'contact:' || l.contact_id)"
        f" from {LEDGER_TABLE} as l"
        f" left join {'.'.join(CONTACT_PROFILES)} as p on l.contact_id = p.contact_id"
        " where l.status = 'sent' and l.sent_at > ?",
        [since - timedelta(days=7)],
    )
    late = quiet = 0
    by_address: dict[str, list[datetime]] = defaultdict(list)
    audited = [row for row in rows if row[0] >= since]
    for sent_at, *_, address in rows:
        by_address[address].append(sent_at)
    for sent_at, due_at, timezone, trigger, deferred, _ in audited:
        observes_quiet = trigger not in opt_outs
        waited = observes_quiet and deferred
        if due_at is not None and _late(policy, sent_at, due_at, timezone, waited):
            late += 1
        hour = local_time(sent_at, timezone).hour
        if observes_quiet and in_quiet_hours(
            hour, policy.quiet_hours_start, policy.quiet_hours_end
        ):
            quiet += 1
    over = sum(
        1
        for instants in by_address.values()
        for when in instants
        if when >= since and _over_caps(policy, when, instants)
    )
    return SendAudit(len(audited), late, quiet, over)


def _late(
    policy: SendPolicy, sent_at: datetime, due_at: datetime, timezone: str | None, waited: bool
) -> bool:
    late = sent_at - due_at
    if waited:
        late -= quiet_time_between(
            due_at, sent_at, timezone, policy.quiet_hours_start, policy.quiet_hours_end
        )
    return late > policy.max_send_lateness


def _over_caps(policy: SendPolicy, when: datetime, instants: list[datetime]) -> bool:
    day = sum(1 for other in instants if when - timedelta(hours=24) < other <= when)
    week = sum(1 for other in instants if when - timedelta(days=7) < other <= when)
    return day > policy.max_sends_per_day or week > policy.max_sends_per_week
