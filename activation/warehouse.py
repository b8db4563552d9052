"""DuckDB access for activation: columns of a relation, statements, and streaming reads in
batches (``fetchmany``) so Python never holds a whole table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
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

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Statements inside commit together or not at all."""
        self.connection.execute("begin transaction")
        try:
            yield
        except BaseException:
            self.connection.execute("rollback")
            raise
        self.connection.execute("commit")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.connection.execute(sql, list(params))

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], chunk: int = 500
    ) -> None:
        """Insert with multi-row VALUES statements (much faster than executemany)."""
        names = ", ".join(quote(column) for column in columns)
        placeholder = "(" + ", ".join("?" for _ in columns) + ")"
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            values = ", ".join(placeholder for _ in part)
            params = [value for row in part for value in row]
            self.connection.execute(f"insert into {table} ({names}) values {values}", params)

    def delete_keys(
        self,
        table: str,
        where: str,
        params: Sequence[Any],
        column: str,
        keys: Sequence[Any],
        chunk: int = 500,
    ) -> None:
        """``delete from table where <where> and column in (keys)``, in chunks."""
        for start in range(0, len(keys), chunk):
            part = list(keys[start : start + chunk])
            listed = ", ".join("?" for _ in part)
            self.connection.execute(
                f"delete from {table} where {where} and {quote(column)} in ({listed})",
                [*params, *part],
            )

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
