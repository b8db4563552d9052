from __future__ import annotations

import os
from pathlib import Path

import pytest

# session-scoped engines for tests/test_portability.py (started only when a test asks)
from tests.engines.postgres import postgres_server
from tests.engines.spark import spark_engine

__all__ = ["postgres_server", "spark_engine"]

# nudge's builds and syncs record their runs in the Dagster instance (DAGSTER_HOME; see
# orchestration/recorded_runs.py): not from tests, which would write the developer's instance
# and pay for each event; a test that checks it turns it on with a DAGSTER_HOME of its own
os.environ["NUDGE_DAGSTER_RECORD"] = "false"


# The longest files, longest first (pytest --durations on a fresh clone, 2 cores). `make
# unit` hands whole files to two workers in collection order (--dist loadfile
# --no-loadscope-reorder; xdist's own order, most tests first, left these one-test files
# for the end, one worker running them while the other idled). Any file not listed keeps
# its place after them. Re-measure when a file becomes slow.
LONGEST_FIRST = (
    "tests/test_portability_generated.py",
    "tests/test_portability.py",
    "tests/test_send_time_properties.py",
    "tests/test_incremental_triggers.py",
    "tests/test_demo.py",
    "tests/test_replays.py",
    "tests/test_loop_postgres.py",
    "tests/test_sends_progress.py",
    "tests/test_erasure_holds.py",
    "tests/test_orchestration_run.py",
    "tests/test_trigger_scenarios.py",
    "tests/test_incremental.py",
    "tests/test_dagster_stop.py",
    "tests/test_statistics_engines.py",
    "tests/test_sync_under_faults.py",
    "tests/test_sqlmesh.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: place for place, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))  # stable


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """A fresh, empty DuckDB warehouse path for one test."""
    return tmp_path / "warehouse" / "nudge.duckdb"
