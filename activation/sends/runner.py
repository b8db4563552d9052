"""Deliver due triggered sends, effectively exactly-once, each judged at the moment it leaves.

Every candidate (``candidates.candidates``) goes through the send-time gate (gate.py), the
one place that applies suppression, lateness, quiet hours and frequency caps against the
clock of the send; what it holds back is recorded in the ledger with its status and reason
('skipped', 'expired', 'deferred', 'capped'). The rest are written 'pending' (committed)
*before* the ESP call, checked once more for lateness and quiet hours right before each call
(the last look), sent as events whose ``unique_id`` is the send_key, and recorded 'sent'
(at the instant of the call) or 'failed' as calls return, a few at a time. A crash at any
point leaves rows 'pending' or untouched; the next run sends them again under the same
``unique_id``, which the ESP records once — so nothing is lost and nothing is delivered
twice. An ESP that cannot de-duplicate gets none of them again (given up: at most once), nor
a send whose call may have reached it unanswered (a timeout, a dropped connection, a 5xx:
``BatchOutcome.unknown``, resend.py), and one that de-duplicates only for a while
(``deduplication_window``: Braze's transactional sends, 24 h) gets a send again only while
its first attempt (the ledger's ``first_attempt_at``) is inside that window.

A build that was a replay (its ``as_of`` far behind the moment it ran) is refused before
anything is read (activation/build_stamps.py).

    result = run_sends("warehouse/nudge.duckdb", klaviyo_settings())
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .. import state
from ..batching import chunks
from ..build_stamps import require_live_build
from ..client_stats import record_client_stats
from ..destinations import Destination, build_destination
from ..destinations.base import EventRecord
from ..errors import ActivationError
from ..fresh_preferences import FreshPreferences
from ..fresh_suppressions import ERASED, FreshSuppressions
from ..leases import SENDS, Lease, hold
from ..settings import DestinationSettings, redact
from ..warehouse import WarehouseConnection, open_warehouse
from . import history, ledger
from .candidates import CANDIDATE_COLUMNS, TRIGGERED_SENDS, candidates, check_tables, count_sql
from .events import BadSend, SendRow, event_record
from .gate import CAP, DEFER, EXPIRE, LEDGER_STATUS, SEND, SKIP, Decision, SendGate
from .policy import load_policy
from .resend import ResendRule
from .suppressions import ensure_suppressions

log = logging.getLogger(__name__)

DEFAULT_BATCH_ROWS = 100
DEFAULT_MAX_ATTEMPTS = 5
UNAVAILABLE_STREAK = 3  # consecutive calls finding the ESP unavailable: no more calls this run
UNAVAILABLE = "unavailable"  # the status of a run that left due sends unsent for that reason
# outcomes are written to the ledger every this many answers, or when the oldest unwritten
# one is this old (and per batch)
OUTCOME_ROWS, OUTCOME_SECONDS = 25, 0.25
MAX_REPORTED = 50

# checkpoint names, in the order a send passes them (tests crash the runner at them)
AFTER_PENDING, AFTER_CALL, AFTER_RECORD = "pending-written", "api-called", "outcome-written"
GIVE_UP = "give_up"  # a dry run's action for a send the run would give up

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class PlannedSend:
    send_key: str
    contact_id: str
    trigger_key: str
    step: int
    variant: str | None
    metric: str | None
    due_at: datetime | None
    # 'send' | 'resend' (left pending) | 'retry' (failed before) | 'skip' | 'expire' |
    # 'defer' | 'cap' | 'give_up' (an earlier attempt may have been delivered: ResendRule)
    action: str
    reason: str | None


@dataclass
class SendRunResult:
    """What one send run did. A dry run fills ``to_send`` / ``to_skip`` / ``planned`` (and
    ``expired`` / ``deferred`` / ``capped`` / ``failed`` as what it would record, ``failed``
    being the sends it would give up) and writes nothing.
    ``ledger`` counts the ledger's rows by status after the run."""

    run_id: str
    destination_target: str
    trigger_key: str | None
    dry_run: bool
    started_at: datetime
    finished_at: datetime | None = None
    candidates: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # may not be emailed now (final)
    expired: int = 0  # too late at the moment of sending (final)
    deferred: int = 0  # quiet hours at the moment of sending (sent after them)
    capped: int = 0  # frequency caps at the moment of sending (reconsidered next run)
    # due sends left unsent because the ESP was unavailable (their call failed on 429 / 5xx /
    # timeouts after the client's retries, or was not made): each waits for the next run, no
    # attempt counted; the run's status is then 'unavailable'
    not_attempted: int = 0
    unavailable_reason: str | None = None  # what the ESP's unavailability looked like
    resent: int = 0  # of ``sent``: rows an interrupted run had left 'pending'
    retried: int = 0  # of ``sent`` + ``failed``: rows that had failed before
    to_send: int = 0
    to_skip: int = 0
    api_calls: int = 0
    write_calls: int = 0
    rate_limited: int = 0
    request_retries: int = 0  # requests sent again after a 429, 5xx, timeout or dropped connection
    server_errors: int = 0
    timeouts: int = 0
    connection_errors: int = 0
    throttle_seconds: float = 0.0  # time the client's rate limiter held requests
    truncated: int = 0  # sends that left with strings cut to the destination's limits
    status: str = "running"
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    capped_by_reason: dict[str, int] = field(default_factory=dict)
    next_deferred_until: datetime | None = None
    errors: dict[str, str] = field(default_factory=dict)
    planned: list[PlannedSend] = field(default_factory=list)
    ledger: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def unavailable_summary(self, destination: str) -> str | None:
        """One line when due sends were left unsent because the ESP was unavailable."""
        if not self.not_attempted:
            return None
        return (
            f"{self.not_attempted:,} due sends left unsent: {destination} was unavailable "
            f"({self.unavailable_reason}); they wait for the next run, no attempt counted, "
            "while the send-time gate still finds them on time"
        )

    def count(self, decision: Decision) -> None:
        """Count a decision not to send now."""
        if decision.action == SKIP:
            self.skipped += 1
            _bump(self.skipped_by_reason, decision.reason or "suppressed")
        elif decision.action == EXPIRE:
            self.expired += 1
        elif decision.action == DEFER:
            self.deferred += 1
            until = decision.deferred_until
            if until is not None and (
                self.next_deferred_until is None or until < self.next_deferred_until
            ):
                self.next_deferred_until = until
        elif decision.action == CAP:
            self.capped += 1
            _bump(self.capped_by_reason, decision.reason or "capped")


def _bump(counts: dict[str, int], key: str) -> None:
    counts[key] = counts.get(key, 0) + 1


Progress = Callable[[int, int], None]  # (rows done, rows in this run)
Checkpoint = Callable[[str], None]


def triggered_sends_exists(warehouse: WarehouseConnection) -> bool:
    return warehouse.columns(*TRIGGERED_SENDS) is not None


def run_sends(
    warehouse_path: str | Path | WarehouseConnection,
    settings: DestinationSettings,
    *,
    dry_run: bool = False,
    trigger_key: str | None = None,
    destination: Destination | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    on_progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
    max_planned: int = MAX_REPORTED,
    clock: Clock = state.utcnow,
) -> SendRunResult:
    """Send every due send of ``triggers.triggered_sends`` (or of one ``trigger_key``) to
    the destination of ``settings``, each judged by the send-time gate at ``clock()``;
    ``dry_run`` plans without any API call or write. ``warehouse_path`` may be an open
    Warehouse (left open)."""
    result = SendRunResult(
        run_id=str(uuid.uuid4()),
        destination_target=settings.target,
        trigger_key=trigger_key,
        dry_run=dry_run,
        started_at=clock(),
    )
    with _opened(warehouse_path) as warehouse:
        check_tables(warehouse)
        require_live_build(warehouse, ".".join(TRIGGERED_SENDS))
        ledger.ensure_ledger(warehouse)
        ensure_suppressions(warehouse)
        history.ensure_runs(warehouse)
        policy = load_policy(warehouse)
        built_as_of = _built_as_of(warehouse, policy.as_of)
        fresh = FreshSuppressions.load(warehouse, since=built_as_of)
        windows = policy.email_frequency_windows
        preferences = FreshPreferences.load(warehouse, since=built_as_of, windows=windows)
        gate = SendGate(policy, fresh, preferences, clock)
        lookback = timedelta(days=max(windows.values(), default=0))
        query = candidates(settings.target, max_attempts, trigger_key, result.started_at, lookback)
        counted = count_sql(query)
        # a dry run writes nothing: it needs no lease and waits for no run
        held = nullcontext() if dry_run else hold(warehouse, SENDS, result.run_id, clock)
        with held as lease:
            result.candidates = int(warehouse.fetchall(counted.sql, counted.params)[0][0])
            rows = _rows(warehouse, query.sql, query.params, batch_rows)
            if lease is None:
                rule = ResendRule.of(destination) if destination else ResendRule.declared(settings)
                _plan(gate, rule, rows, result, max_planned)
                result.status = "planned"
            else:
                _deliver(
                    warehouse,
                    settings,
                    gate,
                    lease,
                    rows,
                    result,
                    destination,
                    on_progress,
                    checkpoint,
                    max_attempts,
                )
        result.ledger = ledger.status_counts(warehouse, settings.target, trigger_key)
        result.finished_at = result.finished_at or clock()
    log.info(
        "sends to %s %s: candidates=%d sent=%d failed=%d skipped=%d expired=%d deferred=%d"
        " capped=%d not_attempted=%d",
        settings.destination,
        result.status,
        result.candidates,
        result.sent,
        result.failed,
        result.skipped,
        result.expired,
        result.deferred,
        result.capped,
        result.not_attempted,
    )
    return result


@contextmanager
def _opened(warehouse: str | Path | WarehouseConnection) -> Iterator[WarehouseConnection]:
    if isinstance(warehouse, WarehouseConnection):
        yield warehouse
        return
    with open_warehouse(warehouse) as opened:
        yield opened


def _built_as_of(warehouse: WarehouseConnection, policy_as_of: datetime) -> datetime:
    """The as_of of the build the candidates come from (the earlier of triggered_sends' and
    send_policy's, should they come from different builds): what landed after it is news."""
    row = warehouse.fetchall(f"select min(as_of) from {'.'.join(TRIGGERED_SENDS)}")[0]
    return min(policy_as_of, row[0]) if row[0] is not None else policy_as_of


def _rows(
    warehouse: WarehouseConnection, sql: str, params: list[object], batch_rows: int
) -> Iterator[list[SendRow]]:
    for batch in warehouse.stream(sql, params, batch_rows=batch_rows):
        yield [SendRow(**dict(zip(CANDIDATE_COLUMNS, row, strict=True))) for row in batch]


def _action(row: SendRow, decision: Decision) -> str:
    if decision.action != SEND:
        return decision.action
    return {"pending": "resend", "failed": "retry"}.get(row.ledger_status or "", "send")


def _plan(
    gate: SendGate,
    rule: ResendRule,
    rows: Iterator[list[SendRow]],
    result: SendRunResult,
    max_planned: int,
) -> None:
    """What a real run would do, judged as it would (``_Delivery``): a send it would give up
    is counted failed and shown 'give_up' with why."""
    now = gate.clock()
    for batch in rows:
        for row, decision in gate.decide(batch):
            reason: str | None = decision.reason
            given_up = decision.action not in (SKIP, EXPIRE) and rule.not_again(row, now)
            if given_up:
                result.failed += 1
                action, reason = GIVE_UP, given_up
            elif decision.action == SEND:
                result.to_send += 1
                action = _action(row, decision)
            else:
                result.count(decision)
                result.to_skip += decision.action == SKIP
                action = decision.action
            if len(result.planned) < max_planned:
                result.planned.append(
                    PlannedSend(
                        row.send_key,
                        row.contact_id,
                        row.trigger_key,
                        row.step,
                        row.variant,
                        row.esp_metric,
                        row.due_at,
                        action,
                        reason,
                    )
                )


def _deliver(
    warehouse: WarehouseConnection,
    settings: DestinationSettings,
    gate: SendGate,
    lease: Lease,
    rows: Iterator[list[SendRow]],
    result: SendRunResult,
    destination: Destination | None,
    on_progress: Progress | None,
    checkpoint: Checkpoint | None,
    max_attempts: int,
) -> None:
    history.start_run(warehouse, result)
    owned = destination is None
    client = destination or build_destination(settings)
    try:
        delivery = _Delivery(warehouse, settings, client, gate, lease, result, max_attempts)
        delivery.on_progress = on_progress or delivery.on_progress
        delivery.checkpoint = checkpoint or delivery.checkpoint
        delivery.run(rows)
        if result.status == "running":
            result.status = (
                UNAVAILABLE if result.not_attempted else "partial" if result.failed else "success"
            )
    except Exception as exc:
        result.status = "error"
        message = redact(f"triggered sends failed: {exc}", settings.secrets)
        raise ActivationError(message) from None
    finally:
        record_client_stats(client, result)
        result.finished_at = gate.clock()
        history.finish_run(warehouse, result)
        if owned:
            client.close()


@dataclass
class _Outcomes:
    """ESP answers not yet in the ledger. A crash loses at most these: their rows stay
    'pending' and are re-sent under the same idempotency key (or given up, for a
    destination without one or beyond its de-duplication window), so they are written in
    small groups — every ``OUTCOME_ROWS`` answers, or once the oldest has waited
    ``OUTCOME_SECONDS`` (with a slow ESP: each as it returns) — and a restarted run repeats
    little of what a killed one did."""

    sent: dict[str, datetime] = field(default_factory=dict)  # send_key -> instant of the call
    failed: dict[str, str] = field(default_factory=dict)
    waiting: dict[str, str] = field(default_factory=dict)  # the ESP was unavailable
    since: float | None = None  # when the oldest answer kept here came back

    def add(
        self, sent: dict[str, datetime], failed: dict[str, str], waiting: dict[str, str]
    ) -> None:
        if self.since is None and (sent or failed or waiting):
            self.since = time.monotonic()
        self.sent.update(sent)
        self.failed.update(failed)
        self.waiting.update(waiting)

    def __len__(self) -> int:
        return len(self.sent) + len(self.failed) + len(self.waiting)

    def due(self) -> bool:
        return len(self) >= OUTCOME_ROWS or (
            self.since is not None and time.monotonic() - self.since >= OUTCOME_SECONDS
        )


class _Delivery:
    """Sends the gate let through, a batch at a time. Ledger writes: the gate's holds per
    batch; 'pending' before the calls — for the whole batch when the destination
    de-duplicates (``idempotent_events``), else per call, so an interruption gives up at
    most the sends of the call in flight; outcomes in small groups (``_Outcomes``), in the
    same transaction as the next 'pending' write when there is one."""

    def __init__(
        self,
        warehouse: WarehouseConnection,
        settings: DestinationSettings,
        destination: Destination,
        gate: SendGate,
        lease: Lease,
        result: SendRunResult,
        max_attempts: int,
    ) -> None:
        self.warehouse = warehouse
        self.lease = lease
        self.target = settings.target
        self.secrets = settings.secrets
        self.destination = destination
        self.gate = gate
        self.result = result
        self.on_progress: Progress = lambda done, total: None
        self.checkpoint: Checkpoint = lambda name: None
        self.done = 0
        self.unavailable_streak = 0
        self.max_attempts = max_attempts
        # what an earlier attempt rules out (resend.py); the client answers for the
        # configuration it was built with, as its spec declares
        # (DestinationSpec.idempotent_events_with)
        self.rule = ResendRule.of(destination)
        self.outcomes = _Outcomes()

    @property
    def stopped(self) -> bool:
        """The ESP was found unavailable by enough calls in a row: no more calls this run
        (the gate still decides the rest, and what it would send waits for the next run)."""
        return self.unavailable_streak >= UNAVAILABLE_STREAK

    def run(self, rows: Iterator[list[SendRow]]) -> None:
        for batch in rows:
            self.lease.renew()
            self.gate.fresh.reload_tombstones(self.warehouse)
            decided = self._give_up_interrupted(self.gate.decide(batch))
            self._hold([(row, d) for row, d in decided if d.action != SEND])
            self._send([row for row, d in decided if d.action == SEND])

    def _hold(self, decided: list[tuple[SendRow, Decision]]) -> None:
        """Record what the gate decided instead of sending, one ledger write per status. An
        erased person's skip is counted but not written: a ledger row would name them again
        (their data came back from a collector; the tombstone keeps holding every run)."""
        for _, decision in decided:
            if decision.reason == ERASED:
                self.result.count(decision)
                self._progress(1)
        decided = [(row, d) for row, d in decided if d.reason != ERASED]
        for action, status in LEDGER_STATUS.items():
            rows = [(row, d) for row, d in decided if d.action == action]
            if not rows:
                continue
            ledger.mark_not_sent(
                self.warehouse,
                self.target,
                status,
                [row for row, _ in rows],
                {row.send_key: d.reason or status for row, d in rows},
                self.gate.clock(),
                {row.send_key: d.deferred_until for row, d in rows if d.deferred_until},
                {row.send_key: d.expires_at for row, d in rows if d.expires_at},
            )
            for _, decision in rows:
                self.result.count(decision)
            self._progress(len(rows))

    def _give_up_interrupted(
        self, decided: list[tuple[SendRow, Decision]]
    ) -> list[tuple[SendRow, Decision]]:
        """Give up what an earlier attempt rules out sending again (``ResendRule``) and the
        gate would send, now or later: before the holds are written, since a deferral would
        replace the 'pending' mark and the send would leave after quiet hours as if never
        attempted. Skipped and expired ones are recorded so (nothing leaves either way)."""
        now = self.gate.clock()
        reasons = {
            row.send_key: reason
            for row, decision in decided
            if decision.action not in (SKIP, EXPIRE) and (reason := self.rule.not_again(row, now))
        }
        self._give_up(reasons)
        return [(row, d) for row, d in decided if row.send_key not in reasons]

    def _give_up(self, reasons: dict[str, str]) -> None:
        """'failed' outcome_unknown, never retried (send_key -> why)."""
        if not reasons:
            return
        by_reason: dict[str, list[str]] = {}
        for key, reason in reasons.items():
            by_reason.setdefault(reason, []).append(key)
        for reason, keys in by_reason.items():
            ledger.give_up(
                self.warehouse,
                self.target,
                sorted(keys),
                reason,
                self.max_attempts,
                self.gate.clock(),
            )
        self.result.failed += len(reasons)
        self._progress(len(reasons))

    def _send(self, rows: list[SendRow]) -> None:
        """Send one batch; outcomes are written as calls return, in small groups."""
        if not rows:
            return
        by_key = {row.send_key: row for row in rows}
        records: list[EventRecord] = []
        rejected: dict[str, str] = {}
        for row in rows:
            try:
                records.append(event_record(row, row.ledger_created_at or self.gate.clock()))
            except BadSend as exc:
                rejected[row.send_key] = str(exc)
        # a send that cannot leave as it is fails now, without a call (an attempt counted);
        # its row goes into the ledger with the batch's first write
        unwritten = [by_key[key] for key in rejected]
        self._note(by_key, {}, rejected, {})
        written = self.rule.idempotent and not self.stopped  # the whole batch, before calls
        if written:
            self._write(pending=rows)
            self.checkpoint(AFTER_PENDING)
            unwritten = []
        calls = list(chunks(records, max(1, self.destination.limits.event_rows)))
        for index, chunk in enumerate(calls):
            if self.stopped:
                left = [record for part in calls[index:] for record in part]
                self._leave_waiting(
                    by_key,
                    left,
                    unwritten if written else [*unwritten, *(by_key[r.record_key] for r in left)],
                )
                return
            self._call(by_key, chunk, unwritten)
            unwritten = []
        self._write(pending=unwritten)

    def _leave_waiting(
        self, by_key: dict[str, SendRow], records: list[EventRecord], unwritten: list[SendRow]
    ) -> None:
        """Sends not handed to the ESP because it is unavailable: each waits for the next
        run ('failed', esp_unavailable, no attempt counted), so the ledger says why.
        ``unwritten``: rows not in the ledger yet (written in the same transaction)."""
        reason = (
            f"not attempted: the destination was unavailable ({self.result.unavailable_reason})"
        )
        self._note(by_key, {}, {}, {record.record_key: reason for record in records})
        self._write(pending=unwritten)

    def _call(
        self, by_key: dict[str, SendRow], chunk: list[EventRecord], unwritten: list[SendRow]
    ) -> None:
        """The last look (lateness and quiet hours at this very instant), then one call.
        ``unwritten``: rows of this batch not in the ledger yet, written with this call's."""
        now = self.gate.clock()
        late = {
            record.record_key: decision
            for record in chunk
            if (decision := self.gate.recheck(by_key[record.record_key], now)) is not None
        }
        if late:
            # with a de-duplicating destination the batch is written 'pending' by now
            held = [
                (
                    replace(by_key[key], ledger_status="pending")
                    if self.rule.idempotent
                    else by_key[key],
                    d,
                )
                for key, d in late.items()
            ]
            self._hold(held)
            chunk = [record for record in chunk if record.record_key not in late]
        if self.rule.window is not None:
            # the window may have closed since the batch began (a slow ESP, a long run)
            closed = {
                record.record_key: reason
                for record in chunk
                if (reason := self.rule.not_again(by_key[record.record_key], now))
            }
            self._give_up(closed)
            chunk = [record for record in chunk if record.record_key not in closed]
        if not self.rule.idempotent:
            # 'pending' right before the call: an interruption gives up only this call's sends
            self._write(pending=[*unwritten, *(by_key[r.record_key] for r in chunk)])
            if chunk:
                self.checkpoint(AFTER_PENDING)
        if not chunk:
            return
        outcome = self.destination.track_events(chunk)
        self.checkpoint(AFTER_CALL)
        # a call that may have arrived unanswered: given up where a second one could deliver
        # it twice, else waiting for the next run like an unanswered one
        unknown = {
            key: reason
            for key, why in outcome.unknown.items()
            if (reason := self.rule.after_unknown_outcome(redact(why, self.secrets)))
        }
        self._give_up(unknown)
        waiting: dict[str, str] = {}
        if outcome.unavailable:
            self.unavailable_streak += 1
            self.result.unavailable_reason = redact(outcome.unavailable, self.secrets)
            reason = f"not delivered: the destination was unavailable ({outcome.unavailable})"
            keys = [record.record_key for record in chunk]
            waiting = dict.fromkeys(outcome.unanswered(keys), reason)
            waiting.update(dict.fromkeys(outcome.unknown.keys() - unknown.keys(), reason))
        else:
            self.unavailable_streak = 0
        sent = dict.fromkeys(outcome.succeeded, now)
        self._note(by_key, sent, dict(outcome.failed), waiting)
        if self.outcomes.due():
            self._write()

    def _note(
        self,
        by_key: dict[str, SendRow],
        sent: dict[str, datetime],
        failed: dict[str, str],
        waiting: dict[str, str],
    ) -> None:
        """Count outcomes and keep them for the next ledger write (``_write``)."""
        failed = {key: redact(reason, self.secrets) for key, reason in failed.items()}
        waiting = {key: redact(reason, self.secrets) for key, reason in waiting.items()}
        self.outcomes.add(sent, failed, waiting)
        result = self.result
        result.sent += len(sent)
        result.failed += len(failed)
        result.not_attempted += len(waiting)
        result.resent += sum(1 for key in sent if by_key[key].ledger_status == "pending")
        result.retried += sum(
            1 for key in [*sent, *failed] if by_key[key].ledger_status == "failed"
        )
        for key, reason in failed.items():
            if len(result.errors) < MAX_REPORTED:
                result.errors[key] = reason
            log.warning("send %s failed: %s", key, reason)
        self._progress(len(sent) + len(failed) + len(waiting))

    def _write(self, pending: list[SendRow] | None = None) -> None:
        """One transaction: ``pending`` rows written 'pending', and the outcomes kept since
        the last write."""
        kept = self.outcomes
        if not kept and not pending:
            return
        ledger.write(
            self.warehouse,
            self.target,
            self.gate.clock(),
            pending=pending or (),
            sent=kept.sent,
            failed=kept.failed,
            waiting=kept.waiting,
        )
        self.outcomes = _Outcomes()
        if kept:
            self.checkpoint(AFTER_RECORD)

    def _progress(self, rows: int) -> None:
        self.done += rows
        self.on_progress(self.done, self.result.candidates)
