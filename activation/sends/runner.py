"""Deliver due triggered sends, effectively exactly-once.

Per batch of candidates (``candidates.candidates``): suppressed rows are recorded 'skipped'
and never leave; the others are written 'pending' (committed) *before* the ESP call, sent as
events whose ``unique_id`` is the send_key, then recorded 'sent' or 'failed'. A crash at any
point leaves rows 'pending' or untouched; the next run sends them again under the same
``unique_id``, which the ESP records once — so nothing is lost and nothing is delivered twice.

    result = run_sends("warehouse/nudge.duckdb", klaviyo_settings())
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import state
from ..batching import chunks
from ..destinations import Destination, build_destination
from ..errors import ActivationError, DeclarationError
from ..settings import DestinationSettings, redact
from ..warehouse import Warehouse
from . import history, ledger
from .candidates import CANDIDATE_COLUMNS, CONTACT_PROFILES, TRIGGERED_SENDS, candidates, count_sql
from .events import BadSend, SendRow, event_record
from .suppressions import ensure_suppressions

log = logging.getLogger(__name__)

DEFAULT_BATCH_ROWS = 100
DEFAULT_MAX_ATTEMPTS = 5
UNAVAILABLE_STREAK = 3  # consecutive calls finding the ESP unavailable end the run
MAX_REPORTED = 50

# checkpoint names, in the order a batch passes them (tests crash the runner at them)
AFTER_PENDING, AFTER_CALL, AFTER_RECORD = "pending-written", "api-called", "outcome-written"


@dataclass(frozen=True)
class PlannedSend:
    send_key: str
    contact_id: str
    trigger_key: str
    step: int
    variant: str | None
    metric: str | None
    due_at: datetime | None
    action: str  # 'send' | 'resend' (left pending) | 'retry' (failed before) | 'skip'
    reason: str | None


@dataclass
class SendRunResult:
    """What one send run did. A dry run fills ``to_send`` / ``to_skip`` / ``planned`` and
    writes nothing. ``ledger`` counts the ledger's rows by status after the run."""

    run_id: str
    destination_target: str
    trigger_key: str | None
    dry_run: bool
    started_at: datetime
    finished_at: datetime | None = None
    candidates: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    not_attempted: int = 0
    resent: int = 0  # of ``sent``: rows an interrupted run had left 'pending'
    retried: int = 0  # of ``sent`` + ``failed``: rows that had failed before
    to_send: int = 0
    to_skip: int = 0
    api_calls: int = 0
    write_calls: int = 0
    rate_limited: int = 0
    status: str = "running"
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    planned: list[PlannedSend] = field(default_factory=list)
    ledger: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


Progress = Callable[[int, int], None]  # (rows done, rows in this run)
Checkpoint = Callable[[str], None]


def triggered_sends_exists(warehouse: Warehouse) -> bool:
    return warehouse.columns(*TRIGGERED_SENDS) is not None


def run_sends(
    warehouse_path: str | Path,
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
) -> SendRunResult:
    """Send every due send of ``triggers.triggered_sends`` (or of one ``trigger_key``) to
    the destination of ``settings``; ``dry_run`` plans without any API call or write."""
    result = SendRunResult(
        run_id=str(uuid.uuid4()),
        destination_target=settings.target,
        trigger_key=trigger_key,
        dry_run=dry_run,
        started_at=state.utcnow(),
    )
    with Warehouse(warehouse_path) as warehouse:
        _check_tables(warehouse)
        ledger.ensure_ledger(warehouse)
        ensure_suppressions(warehouse)
        history.ensure_runs(warehouse)
        query = candidates(settings.target, max_attempts, trigger_key)
        counted = count_sql(query)
        result.candidates = int(warehouse.fetchall(counted.sql, counted.params)[0][0])
        rows = _rows(warehouse, query.sql, query.params, batch_rows)
        if dry_run:
            _plan(rows, result, max_planned)
            result.status = "planned"
        else:
            _deliver(
                warehouse,
                settings,
                rows,
                result,
                destination,
                on_progress,
                checkpoint,
                max_attempts,
            )
        result.ledger = ledger.status_counts(warehouse, settings.target, trigger_key)
        result.finished_at = result.finished_at or state.utcnow()
    log.info(
        "sends to %s %s: candidates=%d sent=%d failed=%d skipped=%d not_attempted=%d",
        settings.destination,
        result.status,
        result.candidates,
        result.sent,
        result.failed,
        result.skipped,
        result.not_attempted,
    )
    return result


def _check_tables(warehouse: Warehouse) -> None:
    for schema, table in (TRIGGERED_SENDS, CONTACT_PROFILES):
        if warehouse.columns(schema, table) is None:
            raise DeclarationError(
                [
                    f"triggered sends need {schema}.{table}, which {warehouse.path} does not "
                    "have yet; build the dbt project first (nudge build)"
                ]
            )


def _rows(
    warehouse: Warehouse, sql: str, params: list[object], batch_rows: int
) -> Iterator[list[SendRow]]:
    for batch in warehouse.stream(sql, params, batch_rows=batch_rows):
        yield [SendRow(**dict(zip(CANDIDATE_COLUMNS, row, strict=True))) for row in batch]


def _action(row: SendRow) -> str:
    if row.suppressed_because:
        return "skip"
    return {"pending": "resend", "failed": "retry"}.get(row.ledger_status or "", "send")


def _plan(rows: Iterator[list[SendRow]], result: SendRunResult, max_planned: int) -> None:
    for batch in rows:
        for row in batch:
            action = _action(row)
            if action == "skip":
                result.to_skip += 1
                reason = row.suppressed_because or ""
                result.skipped_by_reason[reason] = result.skipped_by_reason.get(reason, 0) + 1
            else:
                result.to_send += 1
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
                        row.suppressed_because,
                    )
                )


def _deliver(
    warehouse: Warehouse,
    settings: DestinationSettings,
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
        delivery = _Delivery(warehouse, settings.target, client, result, max_attempts)
        delivery.on_progress = on_progress or delivery.on_progress
        delivery.checkpoint = checkpoint or delivery.checkpoint
        delivery.run(rows)
        if result.status == "running":
            result.status = "partial" if result.failed else "success"
    except Exception as exc:
        result.status = "error"
        message = redact(f"triggered sends failed: {exc}", settings.secrets)
        raise ActivationError(message) from None
    finally:
        stats = getattr(getattr(client, "client", None), "stats", None)
        if stats is not None:
            result.api_calls = stats.api_calls
            result.write_calls = stats.write_calls
            result.rate_limited = stats.rate_limited
        result.finished_at = state.utcnow()
        history.finish_run(warehouse, result)
        if owned:
            client.close()


class _Delivery:
    def __init__(
        self,
        warehouse: Warehouse,
        target: str,
        destination: Destination,
        result: SendRunResult,
        max_attempts: int,
    ) -> None:
        self.warehouse = warehouse
        self.target = target
        self.destination = destination
        self.result = result
        self.on_progress: Progress = lambda done, total: None
        self.checkpoint: Checkpoint = lambda name: None
        self.done = 0
        self.unavailable_streak = 0
        self.max_attempts = max_attempts
        # A destination that records an event once per unique_id (``idempotent_events``)
        # gets interrupted sends again; any other would deliver them twice, so those are
        # given up ('failed', outcome_unknown): at most once beats twice.
        self.resend_pending = bool(getattr(destination, "idempotent_events", False))

    def run(self, rows: Iterator[list[SendRow]]) -> None:
        for batch in rows:
            self._skip([row for row in batch if row.suppressed_because])
            sendable = [row for row in batch if not row.suppressed_because]
            if not self.resend_pending:
                sendable = self._give_up_interrupted(sendable)
            if not self._send(sendable):
                self.result.status = "aborted"
                return

    def _skip(self, rows: list[SendRow]) -> None:
        if not rows:
            return
        reasons = {row.send_key: row.suppressed_because or "suppressed" for row in rows}
        ledger.mark_skipped(self.warehouse, self.target, rows, reasons, state.utcnow())
        self.result.skipped += len(rows)
        for reason in reasons.values():
            by_reason = self.result.skipped_by_reason
            by_reason[reason] = by_reason.get(reason, 0) + 1
        self._progress(len(rows))

    def _give_up_interrupted(self, rows: list[SendRow]) -> list[SendRow]:
        interrupted = [row.send_key for row in rows if row.ledger_status == "pending"]
        if interrupted:
            reason = (
                "an earlier attempt was interrupted and this destination cannot de-duplicate "
                "events, so it is not sent again (it may or may not have been delivered)"
            )
            ledger.give_up(self.warehouse, self.target, interrupted, reason, self.max_attempts)
            self.result.failed += len(interrupted)
            self._progress(len(interrupted))
        return [row for row in rows if row.ledger_status != "pending"]

    def _send(self, rows: list[SendRow]) -> bool:
        """Send one batch; False when the destination became unavailable."""
        if not rows:
            return True
        now = state.utcnow()
        ledger.mark_pending(self.warehouse, self.target, rows, now)
        self.checkpoint(AFTER_PENDING)
        by_key = {row.send_key: row for row in rows}
        sent: list[str] = []
        failed: dict[str, str] = {}
        not_attempted: dict[str, str] = {}
        records = []
        for row in rows:
            try:
                records.append(event_record(row, row.ledger_created_at or now))
            except BadSend as exc:
                failed[row.send_key] = str(exc)
                self._progress(1)
        size = max(1, self.destination.limits.event_rows)
        remaining = list(records)
        for chunk in chunks(records, size):
            if self.unavailable_streak >= UNAVAILABLE_STREAK:
                break
            outcome = self.destination.track_events(chunk)
            self.checkpoint(AFTER_CALL)
            sent.extend(outcome.succeeded)
            failed.update(outcome.failed)
            keys = {record.record_key for record in chunk}
            if outcome.unavailable:
                self.unavailable_streak += 1
                for key in keys - set(outcome.succeeded) - set(outcome.failed):
                    not_attempted[key] = f"not attempted: {outcome.unavailable}"
            else:
                self.unavailable_streak = 0
            remaining = remaining[len(chunk) :]
            self._progress(len(chunk))
        for record in remaining:
            reason = "not attempted: the destination was unavailable"
            not_attempted[record.record_key] = reason
        self._progress(len(remaining))
        ledger.record_outcome(
            self.warehouse, self.target, sent, failed, not_attempted, state.utcnow()
        )
        self.checkpoint(AFTER_RECORD)
        self._count(by_key, sent, failed, not_attempted)
        return self.unavailable_streak < UNAVAILABLE_STREAK

    def _count(
        self,
        by_key: dict[str, SendRow],
        sent: list[str],
        failed: dict[str, str],
        not_attempted: dict[str, str],
    ) -> None:
        result = self.result
        result.sent += len(sent)
        result.failed += len(failed)
        result.not_attempted += len(not_attempted)
        result.resent += sum(1 for key in sent if by_key[key].ledger_status == "pending")
        result.retried += sum(
            1 for key in [*sent, *failed] if by_key[key].ledger_status == "failed"
        )
        for key, reason in failed.items():
            if len(result.errors) < MAX_REPORTED:
                result.errors[key] = reason
            log.warning("send %s failed: %s", key, reason)

    def _progress(self, rows: int) -> None:
        self.done += rows
        self.on_progress(self.done, self.result.candidates)
