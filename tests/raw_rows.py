"""Raw rows written by hand into a warehouse, for tests that build a scenario row by row:
the raw tables in the contract's shape (nudge.raw_contract), created when missing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from nudge.raw_contract import create_table_sql

Row = tuple[Any, ...]


def land(
    warehouse: Path,
    events: Sequence[Row] = (),
    identifies: Sequence[Row] = (),
    products: Sequence[Row] = (),
) -> None:
    """Append rows to raw.events, raw.identifies and raw.product_catalog (columns in the
    contract's order)."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema if not exists raw")
        for table, rows in (
            ("events", events),
            ("identifies", identifies),
            ("product_catalog", products),
        ):
            con.execute(
                create_table_sql(table).replace("create table", "create table if not exists")
            )
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                con.executemany(f"insert into raw.{table} values ({marks})", rows)
