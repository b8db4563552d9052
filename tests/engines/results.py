"""Read query results from DuckDB, PostgreSQL and Spark as comparable Python rows.

Each engine's driver returns its own types; rows are normalized so equal results compare
equal: decimals and integers as exact Decimals (trailing zeros dropped), timestamps as naive
datetimes (Spark's are read as text, so the Python process's time zone never applies),
dates, booleans and text as they are, column names lower-cased. Rows are sorted.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

Row = tuple[Any, ...]


class Table:
    """Column names and normalized, sorted rows."""

    def __init__(self, columns: list[str], rows: list[Row]) -> None:
        self.columns = [c.lower() for c in columns]
        normalized = [tuple(normalize(v) for v in row) for row in rows]
        self.rows = sorted(normalized, key=lambda r: tuple(_sort_key(v) for v in r))

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def __repr__(self) -> str:
        return f"Table({self.columns}, {len(self.rows)} rows)"


def normalize(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | Decimal):
        return Decimal(value).normalize() + 0  # + 0 turns -0 into 0
    if isinstance(value, float):
        return Decimal(repr(value)).normalize() + 0
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, str) and value.startswith("{"):
        return _canonical_json(value)
    return value


def _canonical_json(text: str) -> str:
    """JSON objects built in SQL (e.g. segment_reason) differ only in spacing and key order
    between engines; compare their values."""
    try:
        return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
    except ValueError:
        return text


def _sort_key(value: Any) -> tuple[int, str]:
    if value is None:
        return (0, "")
    if isinstance(value, datetime | date):
        return (1, value.isoformat())
    if isinstance(value, Decimal):
        return (1, f"{value:+030.10f}")
    return (1, str(value))


def read_duckdb(warehouse: Path, sql: str) -> Table:
    # not read_only: dbt-duckdb may still hold the file open read-write in this process, and
    # DuckDB refuses a second connection to it with a different configuration
    with duckdb.connect(str(warehouse)) as con:
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        return Table(columns, cursor.fetchall())


def read_postgres(connection: dict[str, Any], sql: str) -> Table:
    import psycopg2

    con = psycopg2.connect(**connection)
    try:
        with con.cursor() as cur:
            cur.execute(sql)
            columns = [d[0] for d in cur.description or []]
            return Table(columns, cur.fetchall())
    finally:
        con.close()


def read_spark(session: SparkSession, sql: str) -> Table:
    from pyspark.sql.types import TimestampNTZType, TimestampType

    frame = session.sql(sql)
    timestamps = {
        f.name
        for f in frame.schema.fields
        if isinstance(f.dataType, TimestampType | TimestampNTZType)
    }
    if timestamps:
        frame = frame.selectExpr(
            *[
                f"cast(`{name}` as string) as `{name}`" if name in timestamps else f"`{name}`"
                for name in frame.columns
            ]
        )
    rows = [
        tuple(
            datetime.fromisoformat(v) if name in timestamps and v is not None else v
            for name, v in zip(frame.columns, row, strict=True)
        )
        for row in frame.collect()
    ]
    return Table(list(frame.columns), rows)


def differences(
    expected: Table,
    actual: Table,
    key: Sequence[str],
    tolerance: Mapping[str, Decimal] | None = None,
    limit: int = 5,
) -> list[str]:
    """Human-readable differences between two tables whose rows are identified by `key`
    (no key: compared as multisets); numeric columns named in `tolerance` may differ by up
    to that much."""
    tolerance = tolerance or {}

    def same(column: str, a: Any, b: Any) -> bool:
        if a == b:
            return True
        if column in tolerance and isinstance(a, Decimal) and isinstance(b, Decimal):
            return abs(a - b) <= tolerance[column]
        return False

    if expected.columns != actual.columns:
        return [f"columns differ: {expected.columns} vs {actual.columns}"]
    if not key:  # rows without an identity: compare as multisets
        left_rows, right_rows = Counter(expected.rows), Counter(actual.rows)
        found = [f"{row} missing" for row in (left_rows - right_rows).elements()]
        found += [f"{row} unexpected" for row in (right_rows - left_rows).elements()]
        return found[:limit] + ([f"... {len(found) - limit} more"] if len(found) > limit else [])

    def keyed(table: Table) -> dict[tuple[Any, ...], dict[str, Any]]:
        return {tuple(row[k] for k in key): row for row in table.as_dicts()}

    left, right = keyed(expected), keyed(actual)
    found = [f"{k} missing" for k in sorted(left.keys() - right.keys(), key=str)]
    found += [f"{k} unexpected" for k in sorted(right.keys() - left.keys(), key=str)]
    for k in sorted(left.keys() & right.keys(), key=str):
        diff = {
            c: (left[k][c], right[k][c]) for c in left[k] if not same(c, left[k][c], right[k][c])
        }
        if diff:
            found.append(f"{k}: {diff}")
    if len(expected.rows) != len(left) or len(actual.rows) != len(right):
        found.append(f"{tuple(key)} is not unique")
    return found[:limit] + ([f"... {len(found) - limit} more"] if len(found) > limit else [])
