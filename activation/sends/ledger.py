"""The send ledger, ``activation.send_ledger``: one row per (send_key, destination_target),
written before the ESP call ('pending') and after it ('sent' / 'failed'), or with what the
send-time gate (gate.py) decided instead of sending. dbt reads it back into
``triggered_sends``.

Statuses. Final: 'sent'; 'skipped' (may not be emailed now: suppressed, erased, …, with the
reason); 'expired' (too late at the moment of sending). Not final, reconsidered by the next
run: 'pending' (written before the call; a crash leaves it, and the next run re-sends under
the same idempotency key), 'failed' (retried while attempts < max_attempts; status_reason
'send_failed' when the ESP rejected it, 'esp_unavailable' when the ESP did not answer — no
attempt counted: an outage of any length costs nothing, lateness is the gate's), 'deferred'
(quiet hours at the send instant; ``deferred_until`` says until when) and 'capped' (the
frequency caps at the send instant).

    (none) ──► pending ──► sent
       │  ▲       │  ▲
       │  │       ▼  │
       │  │     failed ──► (retried while attempts < max_attempts)
       │  └── deferred / capped
       └──► skipped / expired     (from any status but sent)

``attempts`` counts calls the ESP answered (sent or rejected). Each row also keeps the
``due_at`` and ``timezone`` the gate judged it by, and a deferred send its ``deferred_until``
and ``expires_at`` (moved by the time it waits), so lateness and quiet hours can be audited
from the ledger alone.

A 'pending' send whose contact is suppressed by the next run is recorded 'skipped' although
the interrupted attempt may have reached the ESP: not sending to a suppressed contact wins
over a ledger that could only guess.

Plain SQL (insert, update by key), portable beyond DuckDB.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from ..state import utcnow
from ..warehouse import Warehouse

SCHEMA = "activation"
LEDGER_TABLE = f"{SCHEMA}.send_ledger"
KEY_CHUNK = 500

LEDGER_COLUMNS = (
    "send_key",
    "destination_target",
    "contact_id",
    "trigger_key",
    "step",
    "series_id",
    "variant",
    "status",
    "status_reason",
    "attempts",
    "last_error",
    "created_at",
    "sent_at",
    "updated_at",
    "due_at",
    "deferred_until",
    "expires_at",
    "timezone",
)

DDL = (
    f"create schema if not exists {SCHEMA}",
    f"""create table if not exists {LEDGER_TABLE} (
        send_key varchar not null,
        destination_target varchar not null,
        contact_id varchar not null,
        trigger_key varchar not null,
        step integer not null,
        series_id varchar not null,
        variant varchar,
        status varchar not null,
        status_reason varchar,
        attempts integer not null,
        last_error varchar,
        created_at timestamp not null,
        sent_at timestamp,
        updated_at timestamp not null,
        primary key (send_key, destination_target)
    )""",
    *(
        f"alter table {LEDGER_TABLE} add column if not exists {name} {kind}"
        for name, kind in (
            ("due_at", "timestamp"),
            ("deferred_until", "timestamp"),
            ("expires_at", "timestamp"),
            ("timezone", "varchar"),
        )
    ),
)

FINAL_STATUSES = ("sent", "skipped", "expired")
# status_reason of a 'failed' send the ESP never answered for (no attempt counted)
ESP_UNAVAILABLE = "esp_unavailable"
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


def ensure_ledger(warehouse: Warehouse) -> None:
    for statement in DDL:
        warehouse.execute(statement)


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
        )
        for row in rows
        if row.ledger_status is None
    ]


def _update_keys(
    warehouse: Warehouse, target: str, assignments: str, params: Sequence[object], keys: list[str]
) -> None:
    for start in range(0, len(keys), KEY_CHUNK):
        part = keys[start : start + KEY_CHUNK]
        listed = ", ".join("?" for _ in part)
        warehouse.execute(
            f"update {LEDGER_TABLE} set {assignments}"
            f" where destination_target = ? and send_key in ({listed})",
            [*params, target, *part],
        )


def mark_pending(
    warehouse: Warehouse, target: str, rows: Sequence[LedgerKey], now: datetime
) -> None:
    """Before the ESP call: the sends about to leave. Commits before returning."""
    write(warehouse, target, now, pending=rows)


def _mark_pending(
    warehouse: Warehouse, target: str, rows: Sequence[LedgerKey], now: datetime
) -> None:
    warehouse.insert_rows(LEDGER_TABLE, LEDGER_COLUMNS, _new_rows(target, rows, "pending", {}, now))
    for row in rows:
        if row.ledger_status is not None:
            _update_keys(
                warehouse,
                target,
                "status = 'pending', status_reason = null, updated_at = ?, due_at = ?,"
                " timezone = ?",
                [now, row.due_at, row.timezone],
                [row.send_key],
            )


def mark_not_sent(
    warehouse: Warehouse,
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
        for row in rows:
            if row.ledger_status is not None:
                _update_keys(
                    warehouse,
                    target,
                    "status = ?, status_reason = ?, updated_at = ?,"
                    " deferred_until = coalesce(?, deferred_until),"
                    " expires_at = coalesce(?, expires_at), due_at = ?, timezone = ?",
                    [
                        status,
                        reasons[row.send_key],
                        now,
                        until.get(row.send_key),
                        expires.get(row.send_key),
                        row.due_at,
                        row.timezone,
                    ],
                    [row.send_key],
                )


def record_outcome(
    warehouse: Warehouse,
    target: str,
    sent: Mapping[str, datetime],
    failed: Mapping[str, str],
    waiting: Mapping[str, str],
    now: datetime,
) -> None:
    """After the ESP answered (see ``write``). One transaction."""
    write(warehouse, target, now, sent=sent, failed=failed, waiting=waiting)


def write(
    warehouse: Warehouse,
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
        for part in _chunked(list((sent or {}).items())):
            # every parameter inside VALUES or WHERE: engines number UPDATE ... FROM
            # parameters in different orders
            values = ", ".join("(?, cast(? as timestamp), cast(? as timestamp))" for _ in part)
            warehouse.execute(
                f"update {LEDGER_TABLE} as l set status = 'sent', status_reason = null,"
                " last_error = null, attempts = l.attempts + 1, sent_at = v.sent_at,"
                f" updated_at = v.updated_at from (values {values})"
                " as v(send_key, sent_at, updated_at)"
                " where l.send_key = v.send_key and l.destination_target = ?",
                [*(value for key, at in part for value in (key, at, now)), target],
            )
        for key, reason in (failed or {}).items():
            _update_keys(
                warehouse,
                target,
                "status = 'failed', status_reason = 'send_failed', last_error = ?,"
                " attempts = attempts + 1, updated_at = ?",
                [reason[:2000], now],
                [key],
            )
        for key, reason in (waiting or {}).items():
            _update_keys(
                warehouse,
                target,
                f"status = 'failed', status_reason = '{ESP_UNAVAILABLE}', last_error = ?,"
                " updated_at = ?",
                [reason[:2000], now],
                [key],
            )


def _chunked(items: list[tuple[str, datetime]]) -> list[list[tuple[str, datetime]]]:
    return [items[start : start + KEY_CHUNK] for start in range(0, len(items), KEY_CHUNK)]


def give_up(
    warehouse: Warehouse, target: str, keys: Sequence[str], reason: str, attempts: int
) -> None:
    """'failed' with status_reason 'outcome_unknown' and ``attempts`` at the limit: never
    retried (for interrupted sends a destination cannot de-duplicate)."""
    with warehouse.transaction():
        _update_keys(
            warehouse,
            target,
            "status = 'failed', status_reason = 'outcome_unknown', last_error = ?,"
            " attempts = case when attempts > ? then attempts else ? end, updated_at = ?",
            [reason, attempts, attempts, utcnow()],
            list(keys),
        )


def status_counts(
    warehouse: Warehouse, target: str, trigger_key: str | None = None
) -> dict[str, int]:
    """Ledger rows by status for one destination target (and one trigger)."""
    sql = f"select status, count(*) from {LEDGER_TABLE} where destination_target = ?"
    params: list[object] = [target]
    if trigger_key is not None:
        sql += " and trigger_key = ?"
        params.append(trigger_key)
    rows = warehouse.fetchall(sql + " group by status", params)
    return {str(status): int(count) for status, count in rows}
