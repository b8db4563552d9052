from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """A fresh, empty DuckDB warehouse path for one test."""
    return tmp_path / "warehouse" / "nudge.duckdb"
