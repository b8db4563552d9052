"""The one rule for finding dbt's manifest of a warehouse, for the CLI and the Dagster code
location alike (orchestration/project.py): the one beside the warehouse
(nudge.dbt_runner.dbt_artifacts_dir: its last dbt command wrote it), parsed again when it is
missing (a fresh clone) or older than any dbt file (a model someone just added), so neither
lags behind the project. Per warehouse, not one for the project: relation names in it carry
the warehouse's database (a DuckDB file's name).

Readers get a snapshot of it, never dbt's file itself: every dbt command rewrites
manifest.json in place, so a reader at that moment (Dagster's code location reloading while
`nudge build` runs) would read half a file. The snapshot is replaced whole (os.replace), and
only by a manifest that parses."""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any

from nudge.dbt_runner import dbt_artifacts_dir, run_dbt
from nudge.errors import UserError
from nudge.paths import PROJECT_ROOT

DBT_SOURCES = ("dbt_project.yml", "models", "macros", "seeds", "snapshots", "tests/dbt")
SNAPSHOT_NAME = "manifest.snapshot.json"
# how long a reader with no snapshot yet waits for a dbt command to finish writing its manifest
HALF_WRITTEN_WAIT_S = (0.05, 0.2, 0.5, 1.0, 2.0)


class ManifestUnreadableError(UserError):
    exit_code = 1


def manifest_path(warehouse: Path, *, quiet: bool = False) -> Path:
    """A whole snapshot of dbt's manifest for this warehouse, `dbt parse` writing the
    manifest first when it is missing or older than a dbt file."""
    target = dbt_artifacts_dir(warehouse) / "target"
    written = target / "manifest.json"
    target.mkdir(parents=True, exist_ok=True)
    # several processes may ask at once (pytest-xdist workers, dagster dev's subprocesses,
    # a CLI command): one parses while the others wait, or they corrupt the manifest
    with (target / ".manifest.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not written.exists() or newest_dbt_file() > written.stat().st_mtime:
            run_dbt(["parse"], warehouse, quiet=quiet)
        return _snapshot(written)


def _snapshot(written: Path) -> Path:
    """The snapshot, first replaced by dbt's manifest when that is newer and whole; while dbt
    is still writing a newer one, the last whole one."""
    snapshot = written.with_name(SNAPSHOT_NAME)
    if snapshot.exists() and snapshot.stat().st_mtime_ns >= written.stat().st_mtime_ns:
        return snapshot
    for wait_s in (*HALF_WRITTEN_WAIT_S, None):
        text = written.read_text(encoding="utf-8")
        try:
            json.loads(text)
        except json.JSONDecodeError:
            if snapshot.exists():
                return snapshot
            if wait_s is None:
                break
            time.sleep(wait_s)
            continue
        partial = snapshot.with_name(f".{SNAPSHOT_NAME}.{os.getpid()}")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, snapshot)
        return snapshot
    raise ManifestUnreadableError(
        f"{written} is not whole JSON after {sum(HALF_WRITTEN_WAIT_S):.1f} s: a dbt command "
        "that was writing it may have been killed; run `nudge build` (or `dbt parse`) again"
    )


def load_manifest(warehouse: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(manifest_path(warehouse).read_text(encoding="utf-8"))
    return manifest


def newest_dbt_file() -> float:
    newest = 0.0
    for name in DBT_SOURCES:
        path = PROJECT_ROOT / name
        files = [path] if path.is_file() else path.rglob("*") if path.exists() else []
        newest = max([newest, *(f.stat().st_mtime for f in files if f.is_file())])
    return newest
