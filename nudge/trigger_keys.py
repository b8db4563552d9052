"""The trigger keys `nudge sync --trigger` accepts: those of the trigger catalog the
warehouse was built with (``reference.trigger_catalog``, the seed), or of the project's
``seeds/trigger_catalog.csv`` when the warehouse has no catalog table."""

from __future__ import annotations

import csv
from pathlib import Path

from activation.warehouse import open_warehouse, warehouse_exists
from nudge.errors import UserError
from nudge.paths import PROJECT_ROOT

CATALOG_SCHEMA = "reference"
CATALOG_TABLE = "trigger_catalog"
CATALOG_SEED = PROJECT_ROOT / "seeds" / f"{CATALOG_TABLE}.csv"


class UnknownTrigger(UserError):
    """--trigger names no trigger of the catalog."""


def known_trigger_keys(warehouse: Path) -> list[str]:
    """Sorted trigger keys of the catalog in the dbt target's warehouse (``warehouse``: the
    DuckDB file), else of the seed file."""
    if warehouse_exists(warehouse):
        with open_warehouse(warehouse, read_only=True) as connection:
            if connection.columns(CATALOG_SCHEMA, CATALOG_TABLE) is not None:
                rows = connection.fetchall(
                    f"select distinct trigger_key from {CATALOG_SCHEMA}.{CATALOG_TABLE}"
                    " where trigger_key is not null"
                )
                return sorted(str(row[0]) for row in rows)
    with CATALOG_SEED.open(newline="", encoding="utf-8") as seed:
        return sorted({row["trigger_key"] for row in csv.DictReader(seed) if row["trigger_key"]})


def require_known_trigger(warehouse: Path, trigger_key: str) -> None:
    known = known_trigger_keys(warehouse)
    if trigger_key not in known:
        raise UnknownTrigger(
            f"--trigger {trigger_key!r} is not in the trigger catalog; known keys: "
            f"{', '.join(known)} (seeds/trigger_catalog.csv)."
        )
