"""`nudge query`: a read-only look into the warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table


def print_query(console: Console, warehouse: Path, sql: str, *, limit: int) -> None:
    if not warehouse.exists():
        raise SystemExit(
            f"No warehouse at {warehouse}: run `nudge demo` or `nudge generate` first."
        )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(sql)
        columns = [description[0] for description in cursor.description or []]
        rows = cursor.fetchmany(limit)
    table = Table(*columns)
    for row in rows:
        table.add_row(*("∅" if value is None else str(value) for value in row))
    console.print(table)
