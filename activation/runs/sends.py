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
    read_back: ReadBack | None  # None on a dry run, or when the caller read back already
    sends: SendRunResult


def send_due(
    warehouse: str | Path,
    settings: DestinationSettings,
    *,
    dry_run: bool = False,
    trigger_key: str | None = None,
    read_back_first: bool = True,
    on_progress: Progress | None = None,
) -> DueSends:
    """Read back (unless a dry run, or ``read_back_first`` is off: Dagster's feedback pull
    is an asset of its own, upstream), then send or plan the due sends."""
    landed = read_back(warehouse, settings) if read_back_first and not dry_run else None
    sends = run_sends(
        warehouse, settings, dry_run=dry_run, trigger_key=trigger_key, on_progress=on_progress
    )
    return DueSends(landed, sends)
