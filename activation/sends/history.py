"""``activation.send_runs``: one row per send run (counts, API calls, status)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..warehouse import WarehouseConnection
from ..warehouse.tables import Table, double, integer, text, timestamp

if TYPE_CHECKING:
    from .runner import SendRunResult

RUNS = Table(
    "activation",
    "send_runs",
    (
        text("run_id", nullable=False),
        text("destination_target", nullable=False),
        text("trigger_key"),
        timestamp("started_at", nullable=False),
        timestamp("finished_at"),
        *(
            integer(name)
            for name in (
                "candidates",
                "sent",
                "failed",
                "skipped",
                "not_attempted",
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
    ),
    primary_key=("run_id",),
)
RUNS_TABLE = RUNS.qualified


def ensure_runs(warehouse: WarehouseConnection) -> None:
    warehouse.ensure_table(RUNS)


def start_run(warehouse: WarehouseConnection, result: SendRunResult) -> None:
    warehouse.execute(
        f"insert into {RUNS_TABLE} (run_id, destination_target, trigger_key, started_at, status)"
        " values (?, ?, ?, ?, 'running')",
        [result.run_id, result.destination_target, result.trigger_key, result.started_at],
    )


# written when the run finishes, from SendRunResult attributes of the same name
_MEASURES = tuple(
    name
    for name in RUNS.column_names
    if name not in ("run_id", "destination_target", "trigger_key", "started_at")
)


def finish_run(warehouse: WarehouseConnection, result: SendRunResult) -> None:
    assignments = ", ".join(f"{name} = ?" for name in _MEASURES)
    warehouse.execute(
        f"update {RUNS_TABLE} set {assignments} where run_id = ?",
        (*(getattr(result, name) for name in _MEASURES), result.run_id),
    )
