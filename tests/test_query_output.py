"""`nudge query --format table|csv|json`: CSV and JSON a program can read back exactly, and a
table for people that wraps a wide result to the terminal's width, in parts that each repeat
the first column, without cutting or folding a value."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pytest
from rich.console import Console
from typer.testing import CliRunner

from nudge.cli import app
from nudge.query_command import print_query
from nudge.tabular_output import OutputFormat

WIDE_COLUMNS = 12
WIDTH = 72


@pytest.fixture
def wide(warehouse: Path) -> Path:
    """A warehouse with one table of two rows and WIDE_COLUMNS columns."""
    warehouse.parent.mkdir(parents=True)
    rows = [
        f"select 'contact-{row}' as contact_id, "
        + ", ".join(f"'value_{row}_{i:02d}' as column_{i:02d}" for i in range(1, WIDE_COLUMNS))
        for row in (1, 2)
    ]
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema contacts")
        con.execute("create table contacts.wide as " + " union all ".join(rows))
    return warehouse


def query(warehouse: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["query", *args, "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    return result.output


def test_csv_reads_back_as_the_rows(wide: Path) -> None:
    sql = "select 12345 as order_id, 'a, \"b\"' as note, null as missing"
    output = query(wide, sql, "--format", "csv")
    assert list(csv.reader(io.StringIO(output))) == [
        ["order_id", "note", "missing"],
        ["12345", 'a, "b"', ""],
    ]


def test_json_keeps_numbers_and_dates(wide: Path) -> None:
    sql = (
        "select 12345 as order_id, 19.90::decimal(10, 2) as revenue, "
        "date '2026-12-01' as day, null as missing"
    )
    assert json.loads(query(wide, sql, "--format", "json")) == [
        {"order_id": 12345, "revenue": 19.9, "day": "2026-12-01", "missing": None}
    ]


def test_a_wide_table_wraps_to_the_width_in_parts_that_repeat_the_key(wide: Path) -> None:
    out = io.StringIO()
    console = Console(file=out, width=WIDTH, color_system=None)
    print_query(console, wide, "select * from contacts.wide order by 1", limit=10)
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= WIDTH
    parts = [line for line in lines if "columns, part" in line]
    assert len(parts) > 1 and parts[-1].strip().endswith(f"part {len(parts)} of {len(parts)}")
    text = out.getvalue()
    # each value whole on one line (not folded), each header once, the key in every part
    for i in range(1, WIDE_COLUMNS):
        assert text.count(f"column_{i:02d}") == 1
        assert all(f"value_{row}_{i:02d}" in text for row in (1, 2))
    assert text.count("contact_id") == len(parts)
    assert text.count("contact-1") == len(parts)


def test_a_narrow_table_is_one_table_and_says_when_rows_were_left_out(wide: Path) -> None:
    output = query(wide, "select 12345 as order_id, 'x' as note from range(3)", "--limit", "2")
    assert "part" not in output
    assert output.count("12345") == 2  # ids are not printed as counts (12,345)
    assert "The first 2 rows; --limit shows more." in output
    assert "--limit" not in query(wide, "select 1 as n from range(2)", "--limit", "2")


@pytest.mark.parametrize("output", [OutputFormat.csv, OutputFormat.json])
def test_programs_get_no_table_and_no_note(wide: Path, output: OutputFormat) -> None:
    printed = query(wide, "select 1 as n from range(5)", "--limit", "2", "--format", output.value)
    assert "┃" not in printed and "--limit" not in printed
