"""The dbt project as Dagster sees it."""

from __future__ import annotations

import fcntl
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from nudge.paths import PROJECT_ROOT

nudge_dbt_project = DbtProject(project_dir=PROJECT_ROOT, profiles_dir=PROJECT_ROOT)


def dbt_executable() -> str:
    """The dbt next to this interpreter, so a venv works without being on PATH."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


DBT_SOURCES = ("dbt_project.yml", "models", "macros", "seeds", "snapshots", "tests/dbt")


def ensure_manifest(project: DbtProject = nudge_dbt_project) -> Path:
    """Parse the dbt project when the manifest is missing (a fresh clone) or older than any
    dbt file, so the asset graph never lags behind a model someone just added."""
    manifest = project.manifest_path
    manifest.parent.mkdir(parents=True, exist_ok=True)
    # several processes load the definitions at once (pytest-xdist workers, dagster dev's
    # subprocesses): one parses while the others wait, or they corrupt the manifest
    with (manifest.parent / ".manifest.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not manifest.exists() or _newest_dbt_file() > manifest.stat().st_mtime:
            # DbtProject's own preparer looks for `dbt` on PATH, which a venv may not be on.
            dbt = DbtCliResource(project_dir=project, dbt_executable=dbt_executable())
            dbt.cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return manifest


def _newest_dbt_file() -> float:
    newest = 0.0
    for name in DBT_SOURCES:
        path = PROJECT_ROOT / name
        files = [path] if path.is_file() else path.rglob("*") if path.exists() else []
        newest = max([newest, *(f.stat().st_mtime for f in files if f.is_file())])
    return newest
