"""``activation.send_runs``: one row per send run (counts, API calls, status)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..warehouse import Warehouse

if TYPE_CHECKING:
    from .runner import SendRunResult

RUNS_TABLE = "activation.send_runs"

DDL = (
    "create schema if not exists activation",
    f"""create table if not exists {RUNS_TABLE} (
        run_id varchar primary key,
        destination_target varchar not null,
        trigger_key varchar,
        started_at timestamp not null,
        finished_at timestamp,
        candidates integer,
        sent integer,
        failed integer,
        skipped integer,
        not_attempted integer,
        api_calls integer,
        write_calls integer,
        rate_limited integer,
        status varchar not null
    )""",
)


def ensure_runs(warehouse: Warehouse) -> None:
    for statement in DDL:
        warehouse.execute(statement)


def start_run(warehouse: Warehouse, result: SendRunResult) -> None:
    warehouse.execute(
        f"insert into {RUNS_TABLE} (run_id, destination_target, trigger_key, started_at, status)"
        " values (?, ?, ?, ?, 'running')",
        [result.run_id, result.destination_target, result.trigger_key, result.started_at],
    )


def finish_run(warehouse: Warehouse, result: SendRunResult) -> None:
    warehouse.execute(
        f"update {RUNS_TABLE} set finished_at = ?, candidates = ?, sent = ?, failed = ?,"
        " skipped = ?, not_attempted = ?, api_calls = ?, write_calls = ?, rate_limited = ?,"
        " status = ? where run_id = ?",
        [
            result.finished_at,
            result.candidates,
            result.sent,
            result.failed,
            result.skipped,
            result.not_attempted,
            result.api_calls,
            result.write_calls,
            result.rate_limited,
            result.status,
            result.run_id,
        ],
    )
