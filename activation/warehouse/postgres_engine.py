"""The PostgreSQL warehouse through psycopg2, the driver dbt-postgres itself depends on (so
it is installed wherever the ``postgres`` target works).

The connection runs in autocommit (one statement, one commit, as on DuckDB) and
``transaction()`` brackets statements with ``begin`` / ``commit``. Placeholders are
rewritten from ``?`` to psycopg2's ``%s`` (placeholders.py). The session time zone is UTC:
activation stores naive UTC ``timestamp`` values, as the raw contract does.

Streaming reads use a server-side cursor declared ``WITH HOLD``: batches come from the
server ``batch_rows`` at a time, and the cursor survives commits made meanwhile through
the same connection. Inside an open ``transaction()`` the read also sees that
transaction's own writes (DuckDB's separate cursor does not).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar

import psycopg2

from .base import DEFAULT_FETCH_ROWS, Row, WarehouseConnection
from .placeholders import to_format
from .tables import ColumnKind

_cursor_names = itertools.count(1)


class PostgresWarehouse(WarehouseConnection):
    engine = "postgres"
    TYPE_NAMES: ClassVar[Mapping[ColumnKind, str]] = MappingProxyType(
        {
            "text": "varchar",
            "integer": "integer",
            "bigint": "bigint",
            "double": "double precision",
            "timestamp": "timestamp",
            "boolean": "boolean",
        }
    )

    def __init__(
        self,
        *,
        host: str,
        port: int,
        user: str,
        dbname: str,
        password: str = "",
        read_only: bool = False,
        connect_timeout: int = 10,
    ) -> None:
        super().__init__()
        self._where = f"postgresql://{user}@{host}:{port}/{dbname}"
        self._connection = psycopg2.connect(
            host=host,
            port=port,
            user=user,
            password=password or None,
            dbname=dbname,
            connect_timeout=connect_timeout,
            options="-c timezone=UTC",
            application_name="nudge-activation",
        )
        self._connection.set_session(readonly=read_only, autocommit=True)

    @property
    def location(self) -> str:
        return self._where

    def close(self) -> None:
        self._connection.close()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self._connection.cursor() as cursor:
            cursor.execute(to_format(sql), tuple(params))

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._connection.cursor() as cursor:
            cursor.execute(to_format(sql), tuple(params))
            return [tuple(row) for row in cursor.fetchall()]

    def stream(
        self, sql: str, params: Sequence[Any] = (), batch_rows: int = DEFAULT_FETCH_ROWS
    ) -> Iterator[list[Row]]:
        cursor = self._connection.cursor(name=f"nudge_stream_{next(_cursor_names)}", withhold=True)
        cursor.itersize = batch_rows
        try:
            cursor.execute(to_format(sql), tuple(params))
            while True:
                rows = cursor.fetchmany(batch_rows)
                if not rows:
                    return
                yield [tuple(row) for row in rows]
        finally:
            cursor.close()

    def preview(self, sql: str, limit: int) -> tuple[list[str], list[Row]]:
        with self._connection.cursor() as cursor:
            cursor.execute(to_format(sql), ())
            columns = [str(description[0]) for description in cursor.description or []]
            rows = cursor.fetchmany(limit) if cursor.description else []
            return columns, [tuple(row) for row in rows]

    def purge_deleted(self, relations: Sequence[str]) -> None:
        # a deleted row stays in its page as a dead tuple until the table is vacuumed
        for relation in relations:
            self.execute(f"vacuum {relation}")

    def _begin(self) -> None:
        self.execute("begin")

    def _commit(self) -> None:
        self.execute("commit")

    def _rollback(self) -> None:
        self.execute("rollback")
