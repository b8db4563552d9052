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


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """A fresh, empty DuckDB warehouse path for one test."""
    return tmp_path / "warehouse" / "nudge.duckdb"
