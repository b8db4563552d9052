"""Activation state in the warehouse: ``activation.sync_state`` (one row per synced record,
with the last hash the destination confirmed) and ``activation.sync_runs`` (run history:
rows added / changed / removed / failed / retried, API calls, writes, 429s, 5xx, timeouts,
dropped connections, retried requests, seconds held by the rate limiter, duration).
Plain SQL, portable beyond DuckDB.

State is kept per *scope*: the sync's name and the destination target it was sent to
(``DestinationSettings.target``), so pointing one declaration at another account (the
sandbox, a test account, production) starts from an empty state there instead of
believing that account already holds what another one received.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .warehouse import Warehouse

if TYPE_CHECKING:
    from .sync import SyncRunResult

SCHEMA = "activation"
STATE_TABLE = f"{SCHEMA}.sync_state"
RUNS_TABLE = f"{SCHEMA}.sync_runs"

Scope = tuple[str, str]  # (sync_name, destination_target)

STATE_COLUMNS = (
    "sync_name",
    "destination_target",
    "record_key",
    "row_hash",
    "status",
    "last_error",
    "destination_ref",
    "updated_at",
)

DDL = (
    f"create schema if not exists {SCHEMA}",
    f"""create table if not exists {STATE_TABLE} (
        sync_name varchar not null,
        destination_target varchar not null,
        record_key varchar not null,
        row_hash varchar,
        status varchar not null,
        last_error varchar,
        destination_ref varchar,
        updated_at timestamp not null,
        primary key (sync_name, destination_target, record_key)
    )""",
    f"""create table if not exists {RUNS_TABLE} (
        run_id varchar primary key,
        sync_name varchar not null,
        destination_target varchar not null,
        started_at timestamp not null,
        finished_at timestamp,
        added integer,
        changed integer,
        removed integer,
        unchanged integer,
        failed integer,
        retried integer,
        api_calls integer,
        write_calls integer,
        rate_limited integer,
        status varchar not null
    )""",
    *(
        f"alter table {RUNS_TABLE} add column if not exists {name} {kind}"
        for name, kind in (
            ("request_retries", "integer"),
            ("server_errors", "integer"),
            ("timeouts", "integer"),
            ("connection_errors", "integer"),
            ("throttle_seconds", "double"),
            ("duration_seconds", "double"),
        )
    ),
)
# sync_runs columns written from ``SyncRunResult`` attributes of the same name
RUN_MEASURES = (
    "finished_at",
    "added",
    "changed",
    "removed",
    "unchanged",
    "failed",
    "retried",
    "api_calls",
    "write_calls",
    "rate_limited",
    "request_retries",
    "server_errors",
    "timeouts",
    "connection_errors",
    "throttle_seconds",
    "duration_seconds",
    "status",
)


def utcnow() -> datetime:
    """Naive UTC, as stored in ``timestamp`` columns."""
    return datetime.now(UTC).replace(tzinfo=None)


def ensure_tables(warehouse: Warehouse) -> None:
    for statement in DDL:
        warehouse.execute(statement)


def _upsert_state(
    warehouse: Warehouse,
    scope: Scope,
    rows: Sequence[tuple[str, str | None, str, str | None, str | None]],
) -> None:
    """rows: (record_key, row_hash, status, last_error, destination_ref)."""
    if not rows:
        return
    now = utcnow()
    with warehouse.transaction():
        _delete(warehouse, scope, [row[0] for row in rows])
        warehouse.insert_rows(STATE_TABLE, STATE_COLUMNS, [(*scope, *row, now) for row in rows])


def _delete(warehouse: Warehouse, scope: Scope, keys: Sequence[str]) -> None:
    where = "sync_name = ? and destination_target = ?"
    warehouse.delete_keys(STATE_TABLE, where, list(scope), "record_key", keys)


def mark_synced(
    warehouse: Warehouse,
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
    warehouse: Warehouse,
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


def mark_removed(warehouse: Warehouse, scope: Scope, refs: Mapping[str, str | None]) -> None:
    _upsert_state(
        warehouse, scope, [(key, None, "removed", None, ref) for key, ref in refs.items()]
    )


def forget(warehouse: Warehouse, scope: Scope, keys: Sequence[str]) -> None:
    _delete(warehouse, scope, keys)


def start_run(warehouse: Warehouse, run_id: str, scope: Scope, started_at: datetime) -> None:
    warehouse.execute(
        f"insert into {RUNS_TABLE} (run_id, sync_name, destination_target, started_at, status)"
        " values (?, ?, ?, ?, ?)",
        (run_id, *scope, started_at, "running"),
    )


def finish_run(warehouse: Warehouse, result: SyncRunResult) -> None:
    assignments = ", ".join(f"{name} = ?" for name in RUN_MEASURES)
    warehouse.execute(
        f"update {RUNS_TABLE} set {assignments} where run_id = ?",
        (*(getattr(result, name) for name in RUN_MEASURES), result.run_id),
    )
