"""Loading the code location raises no warning: none of Dagster's deprecation, beta, preview
or supersession warnings, nor the pydantic deprecation Dagster's config layer emits for a
resource without fields. Loaded in a fresh interpreter, since an import warns only once per
process. (A run's own warnings: tests/test_orchestration_run.py.)"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from nudge.paths import PROJECT_ROOT

pytestmark = pytest.mark.slow

# load the definitions as `dagster dev` does, resolve every job and the asset graph (both are
# built lazily), and print each warning raised on the way
LOAD_AND_LIST_WARNINGS = """
import json, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    from orchestration.definitions import defs
    repository = defs.get_repository_def()
    repository.asset_graph.asset_check_keys
    for job in repository.get_all_jobs():
        job.asset_layer
print(json.dumps([
    f"{w.category.__module__}.{w.category.__name__} at {w.filename}:{w.lineno}: {w.message}"
    for w in caught
]))
"""


def test_loading_the_definitions_raises_no_warning() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", LOAD_AND_LIST_WARNINGS],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    warnings = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert warnings == []
