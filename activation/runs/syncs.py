"""The audience syncs declared as dbt exposures (``meta.nudge_sync``), each run against the
destination its declaration names."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..declarations import SyncDeclaration, load_declarations
from ..errors import DeclarationError
from ..sync import SyncRunResult, run_sync
from .destinations import destination_settings

SyncProgress = Callable[[int, int], None]  # (rows done, rows in all)
# wraps one sync's run, giving it a progress callback (or None)
Watch = Callable[[SyncDeclaration], AbstractContextManager[SyncProgress | None]]


@dataclass(frozen=True)
class DeclaredSyncRun:
    declaration: SyncDeclaration
    target: str  # the destination account the sync ran against
    result: SyncRunResult


def declared_syncs(
    manifest: str | Path | Mapping[str, Any], name: str | None = None
) -> list[SyncDeclaration]:
    return choose_syncs(load_declarations(manifest), name)


def choose_syncs(declarations: list[SyncDeclaration], name: str | None) -> list[SyncDeclaration]:
    """The syncs ``name`` means: one sync, or every sync its exposure declares (an exposure
    with ``segments:`` expands into one sync per segment); None means all."""
    if name is None:
        return declarations
    chosen = [d for d in declarations if name in (d.name, d.exposure_name)]
    if not chosen:
        known = ", ".join(declaration.name for declaration in declarations) or "none"
        raise DeclarationError([f"no sync named {name!r} is declared (declared syncs: {known})"])
    return chosen


@contextmanager
def unwatched(declaration: SyncDeclaration) -> Iterator[None]:
    yield None


def sync_declared(
    warehouse: str | Path,
    declarations: list[SyncDeclaration],
    *,
    dry_run: bool = False,
    watch: Watch = unwatched,
) -> list[DeclaredSyncRun]:
    """Run each sync (or plan it, on a dry run) in turn, inside ``watch(declaration)``."""
    runs = []
    for declaration in declarations:
        settings = destination_settings(declaration.config.destination)
        with watch(declaration) as progress:
            result = run_sync(declaration, warehouse, settings, dry_run=dry_run, progress=progress)
        runs.append(DeclaredSyncRun(declaration, settings.target, result))
    return runs
