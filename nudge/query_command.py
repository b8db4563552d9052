"""`nudge query`: a read-only look into the warehouse of the dbt target."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from activation.warehouse import WAREHOUSE_ERRORS, open_warehouse, warehouse_exists
from nudge.errors import UserError, lock_message
from nudge.tabular_output import OutputFormat, numeric_columns, print_rows

# how each engine refuses a write on a read-only connection
_READ_ONLY = ("read-only mode", "read-only transaction")


class QueryFailed(UserError):
    """The warehouse refused the query: a write, a syntax error, an unknown table or column."""


def print_query(
    console: Console,
    warehouse: Path,
    sql: str,
    *,
    limit: int,
    output: OutputFormat = OutputFormat.table,
) -> None:
    """Print the first ``limit`` rows of ``sql`` (``warehouse``: the DuckDB file) as
    ``output``."""
    if not warehouse_exists(warehouse):
        raise UserError(
            f"No warehouse at {warehouse}: run `nudge demo` or `nudge generate` first, or "
            "pick one with --warehouse."
        )
    try:
        with open_warehouse(warehouse, read_only=True) as connection:
            columns, rows = connection.preview(sql, limit + 1)  # one more: are there more?
    except WAREHOUSE_ERRORS as error:
        if lock_message(str(error)) is not None:
            raise  # nudge.errors names the process holding it
        raise QueryFailed(_reason(error)) from error
    shown = rows[:limit]
    # query results hold ids and years: their digits are not grouped as counts are
    print_rows(
        console,
        columns,
        shown,
        output,
        numeric=numeric_columns(columns, shown),
        group_digits=False,
        split_wide=True,
    )
    if output is OutputFormat.table and len(rows) > limit:
        console.print(f"[dim]The first {limit:,} rows; --limit shows more.")


def _reason(error: Exception) -> str:
    """One line from the engine's message: its first (an excerpt of the query and a caret
    follow)."""
    text = str(error).strip()
    reason = text.splitlines()[0] if text else type(error).__name__
    if any(phrase in reason for phrase in _READ_ONLY):
        return (
            f"nudge query only reads the warehouse: {reason} Models change through dbt "
            "(nudge build), raw tables through their loader."
        )
    return f"The query failed: {reason}"
