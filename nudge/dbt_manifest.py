"""The one rule for finding dbt's manifest of a warehouse, for the CLI and the Dagster code
location alike (orchestration/project.py): the one beside the warehouse
(nudge.dbt_runner.dbt_artifacts_dir: its last dbt command wrote it), parsed again when it is
missing (a fresh clone) or older than any dbt file (a model someone just added), so neither
lags behind the project. Per warehouse, not one for the project: relation names in it carry
the warehouse's database (a DuckDB file's name)."""

from __future__ import annotations

import fcntl
import json
from pathlib import Path
from typing import Any

from nudge.dbt_runner import dbt_artifacts_dir, run_dbt
from nudge.paths import PROJECT_ROOT

DBT_SOURCES = ("dbt_project.yml", "models", "macros", "seeds", "snapshots", "tests/dbt")


def manifest_path(warehouse: Path, *, quiet: bool = False) -> Path:
    """dbt's manifest for this warehouse, `dbt parse` writing it first when it is missing or
    older than a dbt file."""
    target = dbt_artifacts_dir(warehouse) / "target"
    path = target / "manifest.json"
    target.mkdir(parents=True, exist_ok=True)
    # several processes may ask at once (pytest-xdist workers, dagster dev's subprocesses,
    # a CLI command): one parses while the others wait, or they corrupt the manifest
    with (target / ".manifest.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists() or newest_dbt_file() > path.stat().st_mtime:
            run_dbt(["parse"], warehouse, quiet=quiet)
    return path


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
