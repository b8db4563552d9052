"""The dbt project as Dagster sees it."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster_dbt import DbtProject

from nudge.paths import PROJECT_ROOT

nudge_dbt_project = DbtProject(project_dir=PROJECT_ROOT, profiles_dir=PROJECT_ROOT)


def dbt_executable() -> str:
    """The dbt next to this interpreter, so a venv works without being on PATH."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def ensure_manifest(project: DbtProject = nudge_dbt_project) -> Path:
    """Parse the dbt project when no manifest exists yet (a fresh clone outside `dagster dev`)."""
    project.prepare_if_dev()
    if not project.manifest_path.exists():
        project.preparer.prepare(project)
    return project.manifest_path
