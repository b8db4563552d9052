"""The DuckDB warehouse: a file (or ``:memory:``) opened with the ``duckdb`` package, the
engine dbt-duckdb builds the models in. DuckDB takes ``?`` placeholders as they are."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import duckdb

from .base import DEFAULT_FETCH_ROWS, Row, WarehouseBusyError, WarehouseConnection, quote
from .tables import ColumnKind


class DuckDBWarehouse(WarehouseConnection):
    engine = "duckdb"
    TYPE_NAMES: ClassVar[Mapping[ColumnKind, str]] = MappingProxyType(
        {
            "text": "varchar",
            "integer": "integer",
            "bigint": "bigint",
            "double": "double",
            "timestamp": "timestamp",
            "boolean": "boolean",
        }
    )

    def __init__(
        self,
        path: str | Path,
        *,
        read_only: bool = False,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        """``config``: DuckDB settings, e.g. the profile's ``settings:`` (memory_limit)."""
        super().__init__()
        self.path = Path(path)
        try:
            self._connection = duckdb.connect(
                str(self.path),
                read_only=read_only,
                config={k: str(v) for k, v in (config or {}).items()},
            )
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise WarehouseBusyError(f"{self.path} is locked by another process") from exc
            raise

    @property
    def location(self) -> str:
        return str(self.path)

    def close(self) -> None:
        self._connection.close()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._connection.execute(sql, list(params))

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._connection.execute(sql, list(params)).fetchall()

    def columns(self, schema: str, table: str) -> list[str] | None:
        # binding an empty select is ~10x faster than DuckDB's information_schema, which
        # every send run and erasure asks dozens of times; a missing relation is a binder
        # error, which leaves an open transaction usable
        relation = f"{quote(schema)}.{quote(table)}"
        try:
            cursor = self._connection.execute(f"select * from {relation} limit 0")
        except duckdb.CatalogException:
            return None
        return [str(column[0]) for column in cursor.description or []]

    def stream(
        self, sql: str, params: Sequence[Any] = (), batch_rows: int = DEFAULT_FETCH_ROWS
    ) -> Iterator[list[Row]]:
        # a separate cursor (DuckDB: a second connection to the same database), so writes
        # go on through the main one while this read is open
        cursor = self._connection.cursor()
        try:
            cursor.execute(sql, list(params))
            while True:
                rows = cursor.fetchmany(batch_rows)
                if not rows:
                    return
                yield rows
        finally:
            cursor.close()

    def preview(self, sql: str, limit: int) -> tuple[list[str], list[Row]]:
        cursor = self._connection.execute(sql)
        columns = [str(description[0]) for description in cursor.description or []]
        return columns, cursor.fetchmany(limit)

    def purge_deleted(self, relations: Sequence[str]) -> None:
        # deleted rows stay in the write-ahead log until a checkpoint (one per database)
        self._connection.execute("checkpoint")

    def _begin(self) -> None:
        self._connection.execute("begin transaction")

    def _commit(self) -> None:
        self._connection.execute("commit")

    def _rollback(self) -> None:
        self._connection.execute("rollback")
