"""The due triggered sends, after the feedback read-back that keeps them from reaching anyone
who unsubscribed or bounced in the ESP since the last run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..sends import SendRunResult, run_sends
from ..sends.runner import Progress
from ..settings import DestinationSettings
from .feedback import ReadBack, read_back


@dataclass(frozen=True)
class DueSends:
    read_back: ReadBack | None  # None on a dry run
    sends: SendRunResult


def send_due(
    warehouse: str | Path,
    settings: DestinationSettings,
    *,
    dry_run: bool = False,
    trigger_key: str | None = None,
    on_progress: Progress | None = None,
) -> DueSends:
    """Read back, then send or plan the due sends. Every entry point reads back right before
    sending, Dagster included: its feedback pull runs before the build, minutes earlier, and
    an unsubscribe made in the ESP in between must stop the send."""
    landed = None if dry_run else read_back(warehouse, settings)
    sends = run_sends(
        warehouse, settings, dry_run=dry_run, trigger_key=trigger_key, on_progress=on_progress
    )
    return DueSends(landed, sends)
