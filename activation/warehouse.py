"""DuckDB access for activation: columns of a relation, statements, and streaming reads in
batches (``fetchmany``) so Python never holds a whole table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb

DEFAULT_FETCH_ROWS = 1_000


def quote(identifier: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + identifier.replace('"', '""') + '"'


class Warehouse:
    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.connection = duckdb.connect(str(self.path), read_only=read_only)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def columns(self, schema: str, table: str) -> list[str] | None:
        """Column names of ``schema.table`` in order, or None if it does not exist."""
        rows = self.connection.execute(
            "select column_name from information_schema.columns"
            " where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
        return [str(row[0]) for row in rows] or None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.connection.execute(sql, list(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.connection.executemany(sql, [list(row) for row in rows])

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.connection.execute(sql, list(params)).fetchall()

    def stream(
        self, sql: str, params: Sequence[Any] = (), batch_rows: int = DEFAULT_FETCH_ROWS
    ) -> Iterator[list[tuple[Any, ...]]]:
        """Rows of ``sql`` in batches, read on a separate cursor so writes can go on meanwhile
        through the main connection (the read sees the data as of its start)."""
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, list(params))
            while True:
                rows = cursor.fetchmany(batch_rows)
                if not rows:
                    return
                yield rows
        finally:
            cursor.close()
