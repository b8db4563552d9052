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

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

NULL_MARK = "∅"
# a longer cell folds onto more lines rather than widen its column past this
FOLDED_CELL_WIDTH = 40
COLUMN_FRAME = 3  # rich's padding (one space each side) and border per column


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
    group_digits: bool = True,
    split_wide: bool = False,
) -> None:
    """Print ``rows`` as ``output``. CSV and JSON go to the console's file unstyled, so they can
    be piped; a table folds long cells onto several lines instead of cutting them, except in
    the ``unbroken`` columns (keys a reader copies). ``group_digits``: integers as 1,234.
    ``split_wide``: columns that do not fit the console's width side by side go on in further
    tables below, each repeating the first column (the row's key), as pandas wraps a wide
    frame, instead of squeezing every column to a few characters."""
    if output is OutputFormat.csv:
        writer = csv.writer(console.file, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_csv_cell(value) for value in row] for row in rows)
    elif output is OutputFormat.json:
        records = [dict(zip(columns, map(_plain, row), strict=True)) for row in rows]
        console.file.write(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
    else:
        cells = [
            [NULL_MARK if value is None else _text(value, group_digits) for value in row]
            for row in rows
        ]
        parts = column_parts(columns, cells, console.width) if split_wide else [range(len(columns))]
        for number, part in enumerate(parts, start=1):
            table = Table(title=_part_title(title, number, len(parts)))
            for index in part:
                table.add_column(
                    columns[index],
                    justify="right" if columns[index] in numeric else "left",
                    overflow="fold",
                    no_wrap=columns[index] in unbroken,
                )
            for row in cells:
                table.add_row(*(row[index] for index in part))
            console.print(table)


def column_parts(
    columns: Sequence[str], cells: Sequence[Sequence[str]], width: int
) -> list[Sequence[int]]:
    """The column indexes of each table to print one under the other so that each fits in
    ``width``: as many columns as fit (a cell of more than FOLDED_CELL_WIDTH counts as that
    wide), the first column repeated at the head of every part after the first."""
    needed = [
        min(FOLDED_CELL_WIDTH, max([cell_len(name), *(cell_len(row[i]) for row in cells)]))
        + COLUMN_FRAME
        for i, name in enumerate(columns)
    ]
    parts: list[Sequence[int]] = []
    part: list[int] = []
    used = 1  # the table's left border
    for index, need in enumerate(needed):
        opened = 1 if parts else 0  # a later part opens with the repeated first column
        if len(part) > opened and used + need > width:
            parts.append(part)
            part, used = [0], 1 + needed[0]
        part.append(index)
        used += need
    parts.append(part)
    return parts


def numeric_columns(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """The columns whose values are all numbers (NULLs aside), to align right."""
    return [
        name
        for i, name in enumerate(columns)
        if any(row[i] is not None for row in rows)
        and all(row[i] is None or _is_number(row[i]) for row in rows)
    ]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _part_title(title: str | None, number: int, parts: int) -> str | None:
    if parts == 1:
        return title
    where = f"columns, part {number} of {parts}"
    return f"{title} ({where})" if title else where


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


def _text(value: Any, group_digits: bool = True) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    if group_digits and isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
