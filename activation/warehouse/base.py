"""The warehouse interface: everything outside dbt that reads or writes the warehouse goes
through a ``WarehouseConnection``, never through a driver.

Call sites write one SQL dialect: the portable core every supported engine shares (ANSI
joins and window functions, ``md5``, ``coalesce``, ``cast(... as varchar)``) with ``?``
placeholders (qmark). What differs by engine lives in the implementations: the driver and
its paramstyle, type names of the state tables, how a table is created and migrated, bulk
insert and upsert, transactions and streaming reads.

The shared set-based statements here (multi-row ``VALUES``, ``in (...)`` deletes,
``insert ... on conflict do update``) run unchanged on DuckDB and PostgreSQL; an engine
without them (Snowflake, BigQuery: ``MERGE``) overrides the method.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar, Self

from .tables import ColumnKind, Table

DEFAULT_FETCH_ROWS = 1_000
CHUNK_ROWS = 500

Row = tuple[Any, ...]


def quote(identifier: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + identifier.replace('"', '""') + '"'


class WarehouseBusyError(RuntimeError):
    """Another process holds the warehouse for writing (DuckDB allows one writer per file:
    a dbt build or a sync); a reader may try again later."""


class WarehouseError(RuntimeError):
    """What the warehouse refused (a statement, the sign-in), from an engine whose driver is
    imported only when that engine is used (Snowflake); the driver's error is the cause."""


class NestedTransactionError(RuntimeError):
    """``transaction()`` inside another one: engines disagree on what that means (DuckDB
    refuses, PostgreSQL warns and commits early), so it is refused everywhere."""


class WarehouseConnection(ABC):
    """An open connection to the warehouse. Use as a context manager; statements outside
    ``transaction()`` commit one by one."""

    engine: ClassVar[str]
    TYPE_NAMES: ClassVar[Mapping[ColumnKind, str]]

    def __init__(self) -> None:
        self._in_transaction = False

    # --- what each engine implements -------------------------------------------------

    @property
    @abstractmethod
    def location(self) -> str:
        """Where this connection points, for messages (a file, or user@host:port/db; never
        a password)."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one statement with ``?`` placeholders."""

    @abstractmethod
    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    @abstractmethod
    def stream(
        self, sql: str, params: Sequence[Any] = (), batch_rows: int = DEFAULT_FETCH_ROWS
    ) -> Iterator[list[Row]]:
        """Rows of ``sql`` in batches of at most ``batch_rows``, so Python never holds the
        whole result; writes through this connection may go on between batches (the read
        sees the data as of its start)."""

    @abstractmethod
    def preview(self, sql: str, limit: int) -> tuple[list[str], list[Row]]:
        """The column names of ``sql`` and its first ``limit`` rows (``nudge query``)."""

    @abstractmethod
    def purge_deleted(self, relations: Sequence[str]) -> None:
        """Make rows deleted from ``relations`` unrecoverable from the engine's own files
        (the write-ahead log, dead tuples), as an erasure must. Outside a transaction."""

    @abstractmethod
    def _begin(self) -> None: ...

    @abstractmethod
    def _commit(self) -> None: ...

    @abstractmethod
    def _rollback(self) -> None: ...

    # --- shared behaviour -----------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Statements inside commit together or not at all."""
        if self._in_transaction:
            raise NestedTransactionError("a warehouse transaction is already open")
        self._begin()
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self._in_transaction = False
            self._rollback()
            raise
        self._in_transaction = False
        self._commit()

    def columns(self, schema: str, table: str) -> list[str] | None:
        """Column names of ``schema.table`` in order, or None if it does not exist."""
        rows = self.fetchall(
            "select column_name from information_schema.columns"
            " where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        )
        return [str(row[0]) for row in rows] or None

    def quote_name(self, identifier: str) -> str:
        """A lower-case identifier activation gives, quoted so it names what the same
        identifier unquoted names (Snowflake folds unquoted names to upper case)."""
        return quote(identifier)

    def relation_name(self, table: Table) -> str:
        return f"{self.quote_name(table.schema)}.{self.quote_name(table.name)}"

    def type_name(self, kind: ColumnKind) -> str:
        return self.TYPE_NAMES[kind]

    def ensure_table(self, table: Table) -> None:
        """Create ``table`` if it is missing, else add the columns it lacks (nullable, at
        the end): the one way state tables are created and migrated on every engine."""
        existing = self.columns(table.schema, table.name)
        if existing is None:
            self.execute(f"create schema if not exists {self.quote_name(table.schema)}")
            self.execute(self.create_table_sql(table))
            return
        for column in table.columns:
            if column.name not in existing:
                self.execute(
                    f"alter table {self.relation_name(table)}"
                    f" add column if not exists {self.quote_name(column.name)}"
                    f" {self.type_name(column.kind)}"
                )

    def create_table_sql(self, table: Table) -> str:
        lines = [
            f"{self.quote_name(column.name)} {self.type_name(column.kind)}"
            + ("" if column.nullable else " not null")
            for column in table.columns
        ]
        if table.primary_key:
            lines.append(
                f"primary key ({', '.join(self.quote_name(key) for key in table.primary_key)})"
            )
        body = ",\n    ".join(lines)
        return f"create table if not exists {self.relation_name(table)} (\n    {body}\n)"

    def insert_rows(
        self,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        chunk: int = CHUNK_ROWS,
    ) -> None:
        """Insert with multi-row VALUES statements (one statement per ``chunk`` rows)."""
        names = ", ".join(self.quote_name(column) for column in columns)
        for part in chunks(rows, chunk):
            self.execute(
                f"insert into {table} ({names}) values {placeholder_rows(len(columns), len(part))}",
                [value for row in part for value in row],
            )

    def upsert_rows(
        self,
        table: str,
        columns: Sequence[str],
        key: Sequence[str],
        rows: Sequence[Sequence[Any]],
        chunk: int = CHUNK_ROWS,
        *,
        keep_existing: bool = False,
    ) -> None:
        """Insert ``rows``; where a row's ``key`` (the table's primary key) exists already,
        replace its other columns, or leave it as it is with ``keep_existing``. Of rows
        repeating a key, the last one wins."""
        names = ", ".join(self.quote_name(column) for column in columns)
        updates = ", ".join(
            f"{self.quote_name(column)} = excluded.{self.quote_name(column)}"
            for column in columns
            if column not in key
        )
        action = f"do update set {updates}" if updates and not keep_existing else "do nothing"
        conflict = ", ".join(self.quote_name(name) for name in key)
        for part in chunks(last_row_per_key(columns, key, rows), chunk):
            self.execute(
                f"insert into {table} ({names}) values {placeholder_rows(len(columns), len(part))}"
                f" on conflict ({conflict}) {action}",
                [value for row in part for value in row],
            )

    def update_rows(
        self,
        table: str,
        key: str,
        columns: Sequence[tuple[str, ColumnKind]],
        rows: Sequence[Sequence[Any]],
        chunk: int = CHUNK_ROWS,
    ) -> None:
        """Set the ``columns`` of the rows whose text column ``key`` is each row's first
        value to the row's other values: one ``update ... from (values ...)`` per chunk.
        Every value is cast, so a column of nulls still has its type."""
        casts = ", ".join(
            ["cast(? as varchar)", *(f"cast(? as {self.type_name(kind)})" for _, kind in columns)]
        )
        names = ", ".join(self.quote_name(name) for name in [key, *(name for name, _ in columns)])
        assignments = ", ".join(
            f"{self.quote_name(name)} = v.{self.quote_name(name)}" for name, _ in columns
        )
        for part in chunks(rows, chunk):
            values = ", ".join(f"({casts})" for _ in part)
            self.execute(
                f"update {table} as t set {assignments} from (values {values}) as v({names})"
                f" where t.{self.quote_name(key)} = v.{self.quote_name(key)}",
                [value for row in part for value in row],
            )

    def delete_keys(
        self,
        table: str,
        where: str,
        params: Sequence[Any],
        column: str,
        keys: Sequence[Any],
        chunk: int = CHUNK_ROWS,
    ) -> None:
        """``delete from table where <where> and column in (keys)``, in chunks."""
        for part in chunks(keys, chunk):
            listed = ", ".join("?" for _ in part)
            self.execute(
                f"delete from {table} where {where} and {self.quote_name(column)} in ({listed})",
                [*params, *part],
            )


def last_row_per_key(
    columns: Sequence[str], key: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[Sequence[Any]]:
    """``rows`` with one row per ``key`` value, the last one given (an upsert's rule)."""
    positions = [list(columns).index(name) for name in key]
    return list({tuple(row[p] for p in positions): row for row in rows}.values())


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def placeholder_rows(width: int, count: int) -> str:
    row = "(" + ", ".join("?" for _ in range(width)) + ")"
    return ", ".join(row for _ in range(count))
