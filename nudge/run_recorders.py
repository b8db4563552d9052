"""Where nudge's own runs (`nudge build`, `sync`, `pull`, `report`, the demo) are recorded: by
every recorder installed under the entry point group ``nudge.run_recorders`` (pyproject.toml
declares orchestration's, which writes them to the Dagster instance as the events a Dagster
run of the same work records: orchestration/recorded_runs.py). The CLI reports neutral
records (the dbt invocation, the sync runs, the send run, the pull, the report) through
``RunRecorder`` and imports no recorder, so it depends on no orchestrator.

An entry point names its recorder factory: called with the command's name, it returns a
recorder, or None when its recording is off (and raises before any work when its settings
are wrong)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import Protocol

from rich.console import Console

from activation.engagement import EngagementPullResult
from activation.runs import DeclaredSyncRun
from activation.sends import ReadbackResult, SendRunResult

GROUP = "nudge.run_recorders"


class RunRecorder(Protocol):
    """Records one command's work. Recording never fails the work: a recorder reports its
    own failure on the console and returns."""

    def dbt_build(
        self, console: Console, warehouse: Path, started: datetime, as_of: datetime | None
    ) -> None:
        """The dbt invocation that wrote the warehouse's dbt target after `started` (UTC)."""

    def syncs(self, console: Console, runs: Sequence[DeclaredSyncRun]) -> None: ...

    def sends(
        self,
        console: Console,
        destination: str,
        result: SendRunResult,
        readback: ReadbackResult | None = None,
    ) -> None:
        """A send run, and the suppression read-back that preceded it."""

    def engagement_pull(
        self, console: Console, destination: str, result: EngagementPullResult
    ) -> None: ...

    def measurement_report(self, console: Console, path: Path, warehouse: Path) -> None: ...


RecorderFactory = Callable[[str], RunRecorder | None]


def run_recorder(command: str) -> RunRecorder | None:
    """The installed recorders that are on, as one; None when there is none."""
    factories: list[RecorderFactory] = [entry.load() for entry in entry_points(group=GROUP)]
    active = [r for r in (factory(command) for factory in factories) if r is not None]
    if not active:
        return None
    return active[0] if len(active) == 1 else AllRecorders(tuple(active))


@dataclass(frozen=True)
class AllRecorders:
    """Several installed recorders, each given every record."""

    recorders: tuple[RunRecorder, ...]

    def dbt_build(
        self, console: Console, warehouse: Path, started: datetime, as_of: datetime | None
    ) -> None:
        for recorder in self.recorders:
            recorder.dbt_build(console, warehouse, started, as_of)

    def syncs(self, console: Console, runs: Sequence[DeclaredSyncRun]) -> None:
        for recorder in self.recorders:
            recorder.syncs(console, runs)

    def sends(
        self,
        console: Console,
        destination: str,
        result: SendRunResult,
        readback: ReadbackResult | None = None,
    ) -> None:
        for recorder in self.recorders:
            recorder.sends(console, destination, result, readback)

    def engagement_pull(
        self, console: Console, destination: str, result: EngagementPullResult
    ) -> None:
        for recorder in self.recorders:
            recorder.engagement_pull(console, destination, result)

    def measurement_report(self, console: Console, path: Path, warehouse: Path) -> None:
        for recorder in self.recorders:
            recorder.measurement_report(console, path, warehouse)
