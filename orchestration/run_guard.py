"""No overlapping warehouse writers: a schedule or sensor skips its tick while any run that
writes the warehouse is queued or in progress (DuckDB takes one writer at a time)."""

from __future__ import annotations

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from orchestration.jobs import WAREHOUSE_TAG

UNFINISHED = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]


def busy_reason(instance: DagsterInstance) -> str | None:
    """Why a new warehouse run must wait, or None when none is unfinished."""
    runs = instance.get_runs(
        filters=RunsFilter(tags={WAREHOUSE_TAG: "write"}, statuses=UNFINISHED), limit=5
    )
    if not runs:
        return None
    running = ", ".join(f"{run.job_name} ({run.run_id[:8]}, {run.status.value})" for run in runs)
    return f"a warehouse run is unfinished: {running}"
