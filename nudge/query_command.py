"""`nudge query`: a read-only look into the warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from nudge.errors import UserError, lock_message


class QueryFailed(UserError):
    """DuckDB refused the query: a write, a syntax error, an unknown table or column."""


def print_query(console: Console, warehouse: Path, sql: str, *, limit: int) -> None:
    if not warehouse.exists():
        raise UserError(
            f"No warehouse at {warehouse}: run `nudge demo` or `nudge generate` first, or "
            "pick one with --warehouse."
        )
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            cursor = con.execute(sql)
            columns = [description[0] for description in cursor.description or []]
            rows = cursor.fetchmany(limit)
    except duckdb.Error as error:
        if lock_message(str(error)) is not None:
            raise  # nudge.errors names the process holding it
        raise QueryFailed(_reason(error)) from error
    table = Table(*columns)
    for row in rows:
        table.add_row(*("∅" if value is None else str(value) for value in row))
    console.print(table)


def _reason(error: duckdb.Error) -> str:
    """One line from DuckDB's message: its first (an excerpt of the query and a caret
    follow)."""
    text = str(error).strip()
    reason = text.splitlines()[0] if text else type(error).__name__
    if "read-only mode" in reason:
        return (
            f"nudge query only reads the warehouse: {reason} Models change through dbt "
            "(nudge build), raw tables through their loader."
        )
    return f"The query failed: {reason}"
