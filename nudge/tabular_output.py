"""Rows for people or for programs: a wrapped table, CSV or JSON, one rule for every command
that prints a result set (``--format table|csv|json``)."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table

NULL_MARK = "∅"


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def print_rows(
    console: Console,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    output: OutputFormat = OutputFormat.table,
    *,
    title: str | None = None,
    numeric: Sequence[str] = (),
    unbroken: Sequence[str] = (),
) -> None:
    """Print ``rows`` as ``output``. CSV and JSON go to the console's file unstyled, so they can
    be piped; a table folds long cells onto several lines instead of cutting them, except in
    the ``unbroken`` columns (keys a reader copies)."""
    if output is OutputFormat.csv:
        writer = csv.writer(console.file, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_csv_cell(value) for value in row] for row in rows)
    elif output is OutputFormat.json:
        records = [dict(zip(columns, map(_plain, row), strict=True)) for row in rows]
        console.file.write(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
    else:
        table = Table(title=title)
        for column in columns:
            table.add_column(
                column,
                justify="right" if column in numeric else "left",
                overflow="fold",
                no_wrap=column in unbroken,
            )
        for row in rows:
            table.add_row(*(NULL_MARK if value is None else _text(value) for value in row))
        console.print(table)


def _plain(value: Any) -> Any:
    """A JSON- and CSV-friendly value: numbers stay numbers, instants become ISO text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(map(str, value))
    return _plain(value)


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
