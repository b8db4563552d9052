"""Where things live: the project root and the default warehouse file."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE = PROJECT_ROOT / "warehouse" / "nudge.duckdb"


def warehouse_path() -> Path:
    """The DuckDB warehouse file: `NUDGE_WAREHOUSE` if set, else `warehouse/nudge.duckdb`."""
    configured = os.environ.get("NUDGE_WAREHOUSE")
    return Path(configured).resolve() if configured else DEFAULT_WAREHOUSE
