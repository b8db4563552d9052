"""The one rule for finding dbt's manifest of a warehouse: the one its last dbt command wrote
beside it (nudge.dbt_runner.dbt_artifacts_dir), parsed first when there is none yet. The
Dagster code location reads the project's own (orchestration.project.ensure_manifest)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nudge.dbt_runner import dbt_artifacts_dir, run_dbt


def manifest_path(warehouse: Path, *, quiet: bool = False) -> Path:
    """dbt's manifest for this warehouse; `dbt parse` writes it when no build has yet."""
    path = dbt_artifacts_dir(warehouse) / "target" / "manifest.json"
    if not path.exists():
        run_dbt(["parse"], warehouse, quiet=quiet)
    return path


def load_manifest(warehouse: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(manifest_path(warehouse).read_text(encoding="utf-8"))
    return manifest
