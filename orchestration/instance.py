"""The Dagster instance: `DAGSTER_HOME`, else `.dagster_home` in the project. `nudge dagster`
opens the UI on it, and `nudge build`, `nudge sync` and the demo record their runs in it
(orchestration/recorded_runs.py), so the UI shows what they built."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from nudge.paths import PROJECT_ROOT

DAGSTER_HOME_ENV = "DAGSTER_HOME"
INSTANCE_SETTINGS = Path(__file__).parent / "dagster.yaml"


def dagster_home(env: Mapping[str, str] | None = None) -> Path:
    value = (os.environ if env is None else env).get(DAGSTER_HOME_ENV, "").strip()
    return Path(value) if value else PROJECT_ROOT / ".dagster_home"


def install_dagster_instance(home: Path) -> None:
    """The instance settings (orchestration/dagster.yaml: runs that write the warehouse are
    queued one at a time) in DAGSTER_HOME, unless it already has its own."""
    home.mkdir(parents=True, exist_ok=True)
    settings = home / "dagster.yaml"
    if not settings.exists():
        shutil.copyfile(INSTANCE_SETTINGS, settings)
