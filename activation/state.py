"""Activation state in the warehouse: ``activation.sync_state`` (one row per synced record,
with the last hash the destination confirmed) and ``activation.sync_runs`` (run history:
rows added / changed / removed / failed / retried, API calls, writes, 429s, 5xx, timeouts,
dropped connections, retried requests, seconds held by the rate limiter, duration).
Declared once (``STATE``, ``RUNS``) and created, migrated and written through the
warehouse interface, the same on every engine.

State is kept per *scope*: the sync's name and the destination target it was sent to
(``DestinationSettings.target``), so pointing one declaration at another account (the
sandbox, a test account, production) starts from an empty state there instead of
believing that account already holds what another one received.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .warehouse import WarehouseConnection
from .warehouse.tables import Table, double, integer, text, timestamp

if TYPE_CHECKING:
    from .sync import SyncRunResult

SCHEMA = "activation"

Scope = tuple[str, str]  # (sync_name, destination_target)

STATE = Table(
    SCHEMA,
    "sync_state",
    (
        text("sync_name", nullable=False),
        text("destination_target", nullable=False),
        text("record_key", nullable=False),
        text("row_hash"),
        text("status", nullable=False),
        text("last_error"),
        text("destination_ref"),
        timestamp("updated_at", nullable=False),
    ),
    primary_key=("sync_name", "destination_target", "record_key"),
)
STATE_COLUMNS = STATE.column_names
RUNS = Table(
    SCHEMA,
    "sync_runs",
    (
        text("run_id", nullable=False),
        text("sync_name", nullable=False),
        text("destination_target", nullable=False),
        timestamp("started_at", nullable=False),
        timestamp("finished_at"),
        *(
            integer(name)
            for name in (
                "added",
                "changed",
                "removed",
                "unchanged",
                "failed",
                "retried",
                "api_calls",
                "write_calls",
                "rate_limited",
            )
        ),
        text("status", nullable=False),
        # added later: appended, nullable (Table's migration rule)
        *(
            integer(name)
            for name in ("request_retries", "server_errors", "timeouts", "connection_errors")
        ),
        double("throttle_seconds"),
        double("duration_seconds"),
    ),
    primary_key=("run_id",),
)
STATE_TABLE = STATE.qualified
RUNS_TABLE = RUNS.qualified
# sync_runs columns written from ``SyncRunResult`` attributes of the same name: all but the
# ones that identify the run, which are written when it starts
RUN_MEASURES = tuple(
    name
    for name in RUNS.column_names
    if name not in ("run_id", "sync_name", "destination_target", "started_at")
)


def utcnow() -> datetime:
    """Naive UTC, as stored in ``timestamp`` columns."""
    return datetime.now(UTC).replace(tzinfo=None)


def ensure_tables(warehouse: WarehouseConnection) -> None:
    warehouse.ensure_table(STATE)
    warehouse.ensure_table(RUNS)


def _upsert_state(
    warehouse: WarehouseConnection,
    scope: Scope,
    rows: Sequence[tuple[str, str | None, str, str | None, str | None]],
) -> None:
    """rows: (record_key, row_hash, status, last_error, destination_ref)."""
    if not rows:
        return
    now = utcnow()
    with warehouse.transaction():
        warehouse.upsert_rows(
            STATE_TABLE, STATE_COLUMNS, STATE.primary_key, [(*scope, *row, now) for row in rows]
        )


def _delete(warehouse: WarehouseConnection, scope: Scope, keys: Sequence[str]) -> None:
    where = "sync_name = ? and destination_target = ?"
    warehouse.delete_keys(STATE_TABLE, where, list(scope), "record_key", keys)


def mark_synced(
    warehouse: WarehouseConnection,
    scope: Scope,
    hashes: Mapping[str, str],
    refs: Mapping[str, str | None],
) -> None:
    """The destination confirmed these rows: advance their hash."""
    _upsert_state(
        warehouse,
        scope,
        [(key, row_hash, "synced", None, refs.get(key)) for key, row_hash in hashes.items()],
    )


def mark_failed(
    warehouse: WarehouseConnection,
    scope: Scope,
    errors: Mapping[str, str],
    previous: Mapping[str, tuple[str | None, str | None]],
) -> None:
    """These rows failed: keep the last confirmed hash (``previous``: key -> (hash, ref))."""
    rows = []
    for key, reason in errors.items():
        old_hash, ref = previous.get(key, (None, None))
        rows.append((key, old_hash, "failed", reason[:2000], ref))
    _upsert_state(warehouse, scope, rows)


def mark_removed(
    warehouse: WarehouseConnection, scope: Scope, refs: Mapping[str, str | None]
) -> None:
    _upsert_state(
        warehouse, scope, [(key, None, "removed", None, ref) for key, ref in refs.items()]
    )


def forget(warehouse: WarehouseConnection, scope: Scope, keys: Sequence[str]) -> None:
    _delete(warehouse, scope, keys)


def start_run(
    warehouse: WarehouseConnection, run_id: str, scope: Scope, started_at: datetime
) -> None:
    warehouse.execute(
        f"insert into {RUNS_TABLE} (run_id, sync_name, destination_target, started_at, status)"
        " values (?, ?, ?, ?, ?)",
        (run_id, *scope, started_at, "running"),
    )


def finish_run(warehouse: WarehouseConnection, result: SyncRunResult) -> None:
    assignments = ", ".join(f"{name} = ?" for name in RUN_MEASURES)
    warehouse.execute(
        f"update {RUNS_TABLE} set {assignments} where run_id = ?",
        (*(getattr(result, name) for name in RUN_MEASURES), result.run_id),
    )
