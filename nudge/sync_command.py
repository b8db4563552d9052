"""`nudge sync`: run the syncs declared as dbt exposures and print what each one did."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from activation import runs
from activation.declarations import SyncDeclaration
from activation.sync import SyncRunResult
from nudge.dbt_manifest import manifest_path
from nudge.run_recorders import run_recorder


def declared_syncs(warehouse: Path, name: str | None = None) -> list[SyncDeclaration]:
    """The syncs the warehouse's dbt manifest declares (all, or the ones ``name`` means)."""
    return runs.declared_syncs(manifest_path(warehouse), name)


def run_declared_syncs(
    console: Console,
    warehouse: Path,
    *,
    name: str | None,
    dry_run: bool,
    command: str = "nudge sync",
) -> list[SyncRunResult]:
    """Run every declared sync (or the one named) and print a summary table; each run is
    recorded in Dagster as `command`'s (orchestration/recorded_runs.py)."""
    recorder = None if dry_run else run_recorder(command)

    @contextmanager
    def watch(declaration: SyncDeclaration) -> Iterator[Callable[[int, int], None] | None]:
        label = f"{declaration.name} → {declaration.config.destination}"
        if dry_run:
            with console.status(f"Planning {label}"):
                yield None
            return
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task(f"Syncing {label}", total=None)
            yield lambda done, total: progress.update(task, completed=done, total=total)

    synced = runs.sync_declared(
        warehouse, declared_syncs(warehouse, name), dry_run=dry_run, watch=watch
    )
    if recorder is not None:
        recorder.syncs(console, synced)
    results = [run.result for run in synced]
    console.print(results_table(results, dry_run=dry_run))
    return results


MEASURE_NOTES = {
    "rate_limited": " (429)",
    "held_back": " (may not be emailed now)",
    "truncated": " (strings cut to the ESP's limits)",
}


def results_table(results: list[SyncRunResult], *, dry_run: bool) -> Table:
    """One column per sync, one row per measure: stays readable on a narrow terminal."""
    title = "Planned sync changes (dry run: no API called)" if dry_run else "Syncs"
    table = Table(title=title)
    table.add_column("")
    for result in results:
        table.add_column(result.sync_name, justify="right")
    measures = ["added", "changed", "removed", "retried", "unchanged", "failed"]
    if not dry_run:
        measures += [
            "held_back",
            "api_calls",
            "write_calls",
            "rate_limited",
            "request_retries",
            "truncated",
        ]
    table.add_row("status", *(result.status for result in results))
    for measure in measures:
        label = measure.replace("_", " ") + MEASURE_NOTES.get(measure, "")
        table.add_row(label, *(f"{getattr(result, measure):,}" for result in results))
        if measure == "removed" and not dry_run:
            counts = (f"{r.removed_erased:,}" for r in results)
            table.add_row("  of which erased (tombstoned)", *counts)
        if measure == "held_back":
            reasons = sorted({reason for r in results for reason in r.held_back_by_reason})
            for reason in reasons:
                counts = (f"{r.held_back_by_reason.get(reason, 0):,}" for r in results)
                table.add_row(f"  {reason}", *counts)
    table.add_row("seconds", *(f"{_seconds(result):.1f}" for result in results))
    return table


def _seconds(result: SyncRunResult) -> float:
    return ((result.finished_at or result.started_at) - result.started_at).total_seconds()


@contextmanager
def klaviyo_environment(base_url: str, api_key: str) -> Iterator[None]:
    """Point KLAVIYO_BASE_URL / KLAVIYO_API_KEY at a sandbox for the duration."""
    names = ("KLAVIYO_BASE_URL", "KLAVIYO_API_KEY")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(KLAVIYO_BASE_URL=base_url, KLAVIYO_API_KEY=api_key)
    try:
        yield
    finally:
        for variable, value in saved.items():
            if value is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = value
