"""The send-time gate: the one place that decides, at the moment of sending and against the
clock of the send, whether a planned send leaves. The build's guardrails
(macros/triggers/guardrails.sql) judged it as of the build's ``as_of``; the gate judges it
again, in the same order, with what is true *now*:

1. suppression from the freshest state: the built profile (``suppressed_because``), then
   erasures, consent ends received after the build and ESP suppressions read back since
   (FreshSuppressions), for the contact and for its email address -> 'skipped' (final); so
   is an opt-out of the send's email topic chosen since the build (FreshPreferences:
   'topic_opted_out_after_build'; the build suppressed the earlier ones);
2. staleness: ``now - due_at`` past ``max_send_lateness`` -> 'expired' (final). The night a
   send waited because the gate deferred it for quiet hours (step 3) does not count: that
   deferral moves the send's expiry (``expires_at`` in the ledger) by the time it waits, so
   a send deferred at 21:10 with an hour of lateness left leaves at 08:00 with that hour
   still left;
3. send-time optimization: a send whose ``send_after`` (its contact's preferred hour,
   macros/triggers/send_time.sql) is still ahead of ``now`` -> 'deferred' until then,
   reason 'send_time_optimized'. Its expiry does not move: lateness counts from due_at, and
   the build keeps send_after within ``sto_max_delay_hours`` < ``max_send_lateness`` of it,
   so the wait alone never makes it stale;
   quiet hours in the contact's zone at ``now`` -> 'deferred' until they end (not final:
   the next run after that sends it); so is a send whose due_at is still ahead of ``now``
   (a build as of a later instant than the send's clock);
4. frequency caps per normalized email address (every contact sharing it), counted from the
   ledger up to now plus what this run already let through, highest catalog priority first
   -> 'capped' (not final); then the person's chosen frequency (the latest choice, since the
   build or the build's): one email per its window, none while the address's last send is
   younger than that -> 'capped', reason 'email_frequency'. A stale, suppressed or deferred
   send never takes a place, so it never crowds out a fresher one.

Holdout, cancellation and A/B variants are decided by the build alone (pure functions of the
data as of ``as_of``). Candidates arrive grouped by address (candidates.py), so the caps
need only the current address's counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..fresh_preferences import FreshPreferences
from ..fresh_suppressions import FreshSuppressions
from .events import SendRow
from .policy import SendPolicy
from .quiet_hours import quiet_until

SEND, SKIP, EXPIRE, DEFER, CAP = "send", "skip", "expire", "defer", "cap"
# the ledger status each decision is recorded with ('send' goes through pending -> sent)
LEDGER_STATUS = {SKIP: "skipped", EXPIRE: "expired", DEFER: "deferred", CAP: "capped"}
LATE_AT_SEND = "max_send_lateness_at_send"
QUIET_HOURS = "quiet_hours"
NOT_YET_DUE = "not_yet_due"
SEND_TIME_OPTIMIZED = "send_time_optimized"
TOPIC_OPTED_OUT = "topic_opted_out_after_build"
EMAIL_FREQUENCY = "email_frequency"


@dataclass(frozen=True)
class Decision:
    action: str
    reason: str | None = None
    deferred_until: datetime | None = None
    expires_at: datetime | None = None  # a deferred send's expiry, moved by its wait


class SendGate:
    def __init__(
        self,
        policy: SendPolicy,
        fresh: FreshSuppressions,
        preferences: FreshPreferences,
        clock: Callable[[], datetime],
    ) -> None:
        self.policy = policy
        self.fresh = fresh
        self.preferences = preferences
        self.clock = clock
        self._address: str | None = None
        self._let_through = 0  # sends this run let through to the current address

    def decide(self, rows: Iterable[SendRow]) -> list[tuple[SendRow, Decision]]:
        """One decision per row, at the clock's current instant."""
        now = self.clock()
        return [(row, self._decide(row, now)) for row in rows]

    def _decide(self, row: SendRow, now: datetime) -> Decision:
        if row.address_key != self._address:
            self._address, self._let_through = row.address_key, 0
        reason = row.suppressed_because or self.fresh.reason(
            row.contact_id, row.email, row.consent_since
        )
        if reason:
            return Decision(SKIP, reason)
        if self.preferences.topic_opted_out(row.contact_id, row.email, row.topic):
            return Decision(SKIP, TOPIC_OPTED_OUT)
        timing = self.recheck(row, now)
        if timing is not None:
            return timing
        if row.ledger_status == "pending":
            return Decision(SEND)  # already counted in sent_24h / sent_7d as maybe sent
        cap = self._cap(row, now)
        if cap is not None:
            return Decision(CAP, cap)
        self._let_through += 1
        return Decision(SEND)

    def recheck(self, row: SendRow, now: datetime) -> Decision | None:
        """Lateness and quiet hours at ``now``: why the send may not leave at this instant, or
        None. Also the last look right before each ESP call (the clock moves while a run
        sends)."""
        if row.due_at is None:
            return Decision(EXPIRE, "no_due_at")
        expires = row.ledger_expires_at or row.due_at + self.policy.max_send_lateness
        if row.due_at > now:  # a build as of a later instant than the send's clock
            return Decision(DEFER, NOT_YET_DUE, row.due_at, expires)
        if now > expires:
            return Decision(EXPIRE, LATE_AT_SEND)
        if row.send_after is not None and row.send_after > now:
            return Decision(DEFER, SEND_TIME_OPTIMIZED, row.send_after, expires)
        if row.quiet_hours_opt_out:
            return None
        waiting_until = row.ledger_deferred_until
        if waiting_until is not None and now < waiting_until and row.ledger_status == "deferred":
            return Decision(DEFER, QUIET_HOURS, waiting_until, expires)  # the same night
        start, end = self.policy.quiet_hours_start, self.policy.quiet_hours_end
        until = quiet_until(now, row.timezone, start, end)
        if until is None:
            return None
        return Decision(DEFER, QUIET_HOURS, until, until + (expires - now))

    def _cap(self, row: SendRow, now: datetime) -> str | None:
        if row.sent_24h + self._let_through >= self.policy.max_sends_per_day:
            return "max_sends_per_day"
        if row.sent_7d + self._let_through >= self.policy.max_sends_per_week:
            return "max_sends_per_week"
        window = self.preferences.frequency_window_days(
            row.contact_id, row.email, row.frequency_window_days
        )
        if window is not None and (
            self._let_through > 0
            or (row.last_sent_at is not None and row.last_sent_at > now - timedelta(days=window))
        ):
            return EMAIL_FREQUENCY
        return None
