from __future__ import annotations

from pathlib import Path

import pytest

# session-scoped engines for tests/test_portability.py (started only when a test asks)
from tests.engines.postgres import postgres_server
from tests.engines.spark import spark_engine

__all__ = ["postgres_server", "spark_engine"]


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """A fresh, empty DuckDB warehouse path for one test."""
    return tmp_path / "warehouse" / "nudge.duckdb"
