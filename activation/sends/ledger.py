"""The send ledger, ``activation.send_ledger``: one row per (send_key, destination_target),
written before the ESP call ('pending') and after it ('sent' / 'failed'), or with what the
send-time gate (gate.py) decided instead of sending. dbt reads it back into
``triggered_sends``.

Statuses. Final: 'sent'; 'skipped' (may not be emailed now: suppressed, erased, …, with the
reason); 'expired' (too late at the moment of sending). Not final, reconsidered by the next
run: 'pending' (written before the call; a crash leaves it, and the next run re-sends under
the same idempotency key), 'failed' (retried while attempts < max_attempts; status_reason
'send_failed' when the ESP rejected it, 'esp_unavailable' when the ESP did not answer — no
attempt counted: an outage costs nothing, lateness is the gate's — and, with a destination
that de-duplicates only for a while, ``first_attempt_at``'s window), 'deferred'
(quiet hours at the send instant; ``deferred_until`` says until when) and 'capped' (the
frequency caps at the send instant).

    (none) ──► pending ──► sent
       │  ▲       │  ▲
       │  │       ▼  │
       │  │     failed ──► (retried while attempts < max_attempts; never outcome_unknown)
       │  └── deferred / capped
       └──► skipped / expired     (from any status but sent)

``attempts`` counts calls the ESP answered (sent or rejected). Each row also keeps the
``due_at`` and ``timezone`` the gate judged it by, and a deferred send its ``deferred_until``
and ``expires_at`` (moved by the time it waits), so lateness and quiet hours can be audited
from the ledger alone, and ``first_attempt_at``, when it was first written 'pending': a
destination that de-duplicates events only for a while gets it again only inside that
window (runner.py).

A 'pending' send whose contact is suppressed by the next run is recorded 'skipped' although
the interrupted attempt may have reached the ESP: not sending to a suppressed contact wins
over a ledger that could only guess.

Declared once (``LEDGER``), created and migrated through the warehouse interface; written
with set-based statements (multi-row inserts, ``update ... from (values ...)``) in the
portable SQL core, the same on every engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from ..warehouse import WarehouseConnection
from ..warehouse.tables import Table, integer, text, timestamp

SCHEMA = "activation"
KEY_CHUNK = 500

LEDGER = Table(
    SCHEMA,
    "send_ledger",
    (
        text("send_key", nullable=False),
        text("destination_target", nullable=False),
        text("contact_id", nullable=False),
        text("trigger_key", nullable=False),
        integer("step", nullable=False),
        text("series_id", nullable=False),
        text("variant"),
        text("status", nullable=False),
        text("status_reason"),
        integer("attempts", nullable=False),
        text("last_error"),
        timestamp("created_at", nullable=False),
        timestamp("sent_at"),
        timestamp("updated_at", nullable=False),
        # added later: appended, nullable (Table's migration rule)
        timestamp("due_at"),
        timestamp("deferred_until"),
        timestamp("expires_at"),
        text("timezone"),
        # when it was first written 'pending' (about to be sent), kept through every later
        # status: where a destination's de-duplication window starts (runner.py)
        timestamp("first_attempt_at"),
    ),
    primary_key=("send_key", "destination_target"),
)
LEDGER_TABLE = LEDGER.qualified
LEDGER_COLUMNS = LEDGER.column_names

FINAL_STATUSES = ("sent", "skipped", "expired")
# status_reason of a 'failed' send the ESP never answered for (no attempt counted)
ESP_UNAVAILABLE = "esp_unavailable"
# status_reason of a 'failed' send given up because it may have been delivered: never retried,
# whatever the attempt limit of a later run
OUTCOME_UNKNOWN = "outcome_unknown"
WAITING_STATUSES = ("deferred", "capped")
STATUSES = ("pending", "failed", *FINAL_STATUSES, *WAITING_STATUSES)


@dataclass(frozen=True)
class LedgerKey:
    """What the ledger stores of a send, and the status it has there now (None: no row)."""

    send_key: str
    contact_id: str
    trigger_key: str
    step: int
    series_id: str
    variant: str | None
    due_at: datetime | None
    timezone: str | None
    ledger_status: str | None


def ensure_ledger(warehouse: WarehouseConnection) -> None:
    warehouse.ensure_table(LEDGER)
    # A ledger an older Nudge wrote: its 'pending' rows were first attempted no earlier than
    # they were created (the earliest time that is sure). Filled whenever such rows exist,
    # not only right after the column is added: that is a separate statement (Snowflake
    # commits DDL at once), and a run killed between the two would leave them null for
    # good. Every 'pending' row written since has one, so this finds rows only then.
    warehouse.execute(
        f"update {LEDGER_TABLE} set first_attempt_at = created_at"
        " where status = 'pending' and first_attempt_at is null"
    )


def _new_rows(
    target: str,
    rows: Sequence[LedgerKey],
    status: str,
    reasons: Mapping[str, str],
    now: datetime,
    deferred_until: Mapping[str, datetime] | None = None,
    expires_at: Mapping[str, datetime] | None = None,
) -> list[tuple[object, ...]]:
    until, expires = deferred_until or {}, expires_at or {}
    return [
        (
            row.send_key,
            target,
            row.contact_id,
            row.trigger_key,
            row.step,
            row.series_id,
            row.variant,
            status,
            reasons.get(row.send_key),
            0,
            None,
            now,
            None,
            now,
            row.due_at,
            until.get(row.send_key),
            expires.get(row.send_key),
            row.timezone,
            now if status == "pending" else None,
        )
        for row in rows
        if row.ledger_status is None
    ]


def _update_keys(
    warehouse: WarehouseConnection,
    target: str,
    assignments: str,
    params: Sequence[object],
    keys: list[str],
) -> None:
    for start in range(0, len(keys), KEY_CHUNK):
        part = keys[start : start + KEY_CHUNK]
        listed = ", ".join("?" for _ in part)
        warehouse.execute(
            f"update {LEDGER_TABLE} set {assignments}"
            f" where destination_target = ? and send_key in ({listed})",
            [*params, target, *part],
        )


def _update_each(
    warehouse: WarehouseConnection,
    target: str,
    assignments: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[object]],
) -> None:
    """One set-based ``update ... from (values ...)`` per chunk: each row is (send_key,
    *values of ``columns``), ``columns`` being (name, SQL type) pairs read as ``v.<name>``
    by ``assignments`` (ledger columns there are ``l.<name>``). Every parameter sits inside
    VALUES or WHERE (engines number UPDATE ... FROM parameters in different orders) and is
    cast, so a column of nulls still has its type. Of rows repeating a key, the last wins."""
    latest = list({row[0]: row for row in rows}.values())
    casts = ", ".join(["cast(? as varchar)", *(f"cast(? as {kind})" for _, kind in columns)])
    names = ", ".join(["send_key", *(name for name, _ in columns)])
    for start in range(0, len(latest), KEY_CHUNK):
        part = latest[start : start + KEY_CHUNK]
        values = ", ".join(f"({casts})" for _ in part)
        warehouse.execute(
            f"update {LEDGER_TABLE} as l set {assignments} from (values {values}) as v({names})"
            " where l.send_key = v.send_key and l.destination_target = ?",
            [*(value for row in part for value in row), target],
        )


def mark_pending(
    warehouse: WarehouseConnection, target: str, rows: Sequence[LedgerKey], now: datetime
) -> None:
    """Before the ESP call: the sends about to leave. Commits before returning."""
    write(warehouse, target, now, pending=rows)


def _mark_pending(
    warehouse: WarehouseConnection, target: str, rows: Sequence[LedgerKey], now: datetime
) -> None:
    warehouse.insert_rows(LEDGER_TABLE, LEDGER_COLUMNS, _new_rows(target, rows, "pending", {}, now))
    _update_each(
        warehouse,
        target,
        "status = 'pending', status_reason = null, updated_at = v.updated_at,"
        " due_at = v.due_at, timezone = v.timezone,"
        " first_attempt_at = coalesce(l.first_attempt_at, v.updated_at)",
        (("updated_at", "timestamp"), ("due_at", "timestamp"), ("timezone", "varchar")),
        [
            (row.send_key, now, row.due_at, row.timezone)
            for row in rows
            if row.ledger_status is not None
        ],
    )


def mark_not_sent(
    warehouse: WarehouseConnection,
    target: str,
    status: str,
    rows: Sequence[LedgerKey],
    reasons: Mapping[str, str],
    now: datetime,
    deferred_until: Mapping[str, datetime] | None = None,
    expires_at: Mapping[str, datetime] | None = None,
) -> None:
    """What the send-time gate decided instead of sending (``status`` 'skipped', 'expired',
    'deferred' or 'capped'), with the reason; nothing was sent and no attempt is counted. A
    deferral records until when, and the send's expiry moved by that wait."""
    if status not in (*FINAL_STATUSES, *WAITING_STATUSES) or status == "sent":
        raise ValueError(f"not a status the gate records: {status!r}")
    until, expires = deferred_until or {}, expires_at or {}
    with warehouse.transaction():
        warehouse.insert_rows(
            LEDGER_TABLE,
            LEDGER_COLUMNS,
            _new_rows(target, rows, status, reasons, now, until, expires),
        )
        _update_each(
            warehouse,
            target,
            "status = v.status, status_reason = v.status_reason, updated_at = v.updated_at,"
            " deferred_until = coalesce(v.deferred_until, l.deferred_until),"
            " expires_at = coalesce(v.expires_at, l.expires_at), due_at = v.due_at,"
            " timezone = v.timezone",
            (
                ("status", "varchar"),
                ("status_reason", "varchar"),
                ("updated_at", "timestamp"),
                ("deferred_until", "timestamp"),
                ("expires_at", "timestamp"),
                ("due_at", "timestamp"),
                ("timezone", "varchar"),
            ),
            [
                (
                    row.send_key,
                    status,
                    reasons[row.send_key],
                    now,
                    until.get(row.send_key),
                    expires.get(row.send_key),
                    row.due_at,
                    row.timezone,
                )
                for row in rows
                if row.ledger_status is not None
            ],
        )


def record_outcome(
    warehouse: WarehouseConnection,
    target: str,
    sent: Mapping[str, datetime],
    failed: Mapping[str, str],
    waiting: Mapping[str, str],
    now: datetime,
) -> None:
    """After the ESP answered (see ``write``). One transaction."""
    write(warehouse, target, now, sent=sent, failed=failed, waiting=waiting)


def write(
    warehouse: WarehouseConnection,
    target: str,
    now: datetime,
    *,
    pending: Sequence[LedgerKey] = (),
    sent: Mapping[str, datetime] | None = None,
    failed: Mapping[str, str] | None = None,
    waiting: Mapping[str, str] | None = None,
) -> None:
    """In one transaction: ``pending`` rows written 'pending' (about to be sent), then the
    outcomes of earlier calls: 'sent' with ``sent_at`` (``sent``: send_key -> the instant of
    its call); 'failed' with the reason and ``attempts`` + 1 (``failed``: the ESP rejected
    the send, or it could not be sent as it is); ``waiting``: not delivered because the ESP
    was unavailable (429 / 5xx / timeouts after retries, or no call made) — 'failed' with
    status_reason 'esp_unavailable' and the reason, no attempt counted, so it is sent again
    by every run while the send-time gate still finds it on time."""
    with warehouse.transaction():
        if pending:
            _mark_pending(warehouse, target, pending, now)
        _update_each(
            warehouse,
            target,
            "status = 'sent', status_reason = null, last_error = null,"
            " attempts = l.attempts + 1, sent_at = v.sent_at, updated_at = v.updated_at",
            (("sent_at", "timestamp"), ("updated_at", "timestamp")),
            [(key, at, now) for key, at in (sent or {}).items()],
        )
        _update_each(
            warehouse,
            target,
            "status = 'failed', status_reason = 'send_failed', last_error = v.last_error,"
            " attempts = l.attempts + 1, updated_at = v.updated_at",
            (("last_error", "varchar"), ("updated_at", "timestamp")),
            [(key, reason[:2000], now) for key, reason in (failed or {}).items()],
        )
        _update_each(
            warehouse,
            target,
            f"status = 'failed', status_reason = '{ESP_UNAVAILABLE}',"
            " last_error = v.last_error, updated_at = v.updated_at",
            (("last_error", "varchar"), ("updated_at", "timestamp")),
            [(key, reason[:2000], now) for key, reason in (waiting or {}).items()],
        )


def give_up(
    warehouse: WarehouseConnection,
    target: str,
    keys: Sequence[str],
    reason: str,
    attempts: int,
    now: datetime,
) -> None:
    """'failed' with status_reason 'outcome_unknown' and ``attempts`` at the limit: never
    retried (for sends that may have been delivered, which the destination cannot, or no
    longer would, de-duplicate)."""
    with warehouse.transaction():
        _update_keys(
            warehouse,
            target,
            f"status = 'failed', status_reason = '{OUTCOME_UNKNOWN}', last_error = ?,"
            " attempts = case when attempts > ? then attempts else ? end, updated_at = ?",
            [reason, attempts, attempts, now],
            list(keys),
        )


def status_counts(
    warehouse: WarehouseConnection, target: str, trigger_key: str | None = None
) -> dict[str, int]:
    """Ledger rows by status for one destination target (and one trigger)."""
    sql = f"select status, count(*) from {LEDGER_TABLE} where destination_target = ?"
    params: list[object] = [target]
    if trigger_key is not None:
        sql += " and trigger_key = ?"
        params.append(trigger_key)
    rows = warehouse.fetchall(sql + " group by status", params)
    return {str(status): int(count) for status, count in rows}
