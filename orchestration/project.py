"""The dbt project as Dagster sees it."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster_dbt import DbtProject

from nudge.dbt_manifest import manifest_path
from nudge.paths import PROJECT_ROOT, warehouse_path

nudge_dbt_project = DbtProject(project_dir=PROJECT_ROOT, profiles_dir=PROJECT_ROOT)


def dbt_executable() -> str:
    """The dbt next to this interpreter, so a venv works without being on PATH."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def ensure_manifest() -> Path:
    """dbt's manifest of the warehouse the code location runs on (NUDGE_WAREHOUSE), by the
    CLI's one rule (nudge/dbt_manifest.py): parsed when missing or older than any dbt file,
    so the asset graph never lags behind a model someone just added."""
    return manifest_path(warehouse_path(), quiet=True)
