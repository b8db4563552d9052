"""The Snowflake warehouse through snowflake-connector-python, the driver dbt-snowflake uses
(installed wherever the ``snowflake`` target works).

The connection arguments are the ones dbt-snowflake builds from the same profile output:
its ``SnowflakeCredentials`` parses the output and gives the authentication arguments
(password, key pair, OAuth, JWT, browser SSO), so every way of signing in that dbt accepts
works here too. The connection runs in autocommit, like dbt's, and ``transaction()``
brackets statements with ``begin`` / ``commit``. The ``qmark`` paramstyle is set for this
connection only: the ``?`` placeholders call sites write are bound by the server.

Session settings make the one dialect of the call sites mean the same as elsewhere:

- ``QUOTED_IDENTIFIERS_IGNORE_CASE``: call sites quote some names in lower case
  (``"syncs"."subscribers"``, ``"email"``) and leave others unquoted. Snowflake folds
  unquoted names to upper case and keeps quoted ones as written, so without it a model dbt
  created (dbt-snowflake does not quote) could not be read as ``"syncs"."subscribers"``.
  The names this engine creates itself (state tables, their columns) are quoted in upper
  case (``quote_name``), which names the same objects with or without the setting.
- ``TIMEZONE`` UTC and ``TIMESTAMP_TYPE_MAPPING`` ``TIMESTAMP_NTZ``: activation stores naive
  UTC timestamps, as the raw contract does.

Snowflake has no ``on conflict``; ``upsert_rows`` is a ``MERGE``. DDL commits an open
transaction on Snowflake, so ``ensure_table`` refuses to create or alter inside one.
Deleted rows stay recoverable through Time Travel and Fail-safe for the retention the
account, database or schema sets; ``purge_deleted`` cannot shorten that
(docs/warehouse_interface.md: what to set for erasure).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any, ClassVar

import snowflake.connector

from .base import (
    CHUNK_ROWS,
    DEFAULT_FETCH_ROWS,
    Row,
    WarehouseConnection,
    WarehouseError,
    chunks,
    last_row_per_key,
    placeholder_rows,
    quote,
)
from .tables import ColumnKind, Table

APPLICATION = "nudge_activation"  # letters, digits and underscores, as the connector checks
SESSION_PARAMETERS: Mapping[str, Any] = MappingProxyType(
    {
        "QUOTED_IDENTIFIERS_IGNORE_CASE": True,
        "TIMEZONE": "UTC",
        "TIMESTAMP_TYPE_MAPPING": "TIMESTAMP_NTZ",
    }
)
# what a dbt profile output holds besides the credentials
_NOT_CREDENTIALS = ("type", "threads")


@contextmanager
def _driver_errors() -> Iterator[None]:
    # re-raised as WarehouseError, which callers catch (WAREHOUSE_ERRORS) without importing
    # this driver, slow to import, on every engine
    try:
        yield
    except snowflake.connector.errors.Error as error:
        raise WarehouseError(str(error)) from error


class DdlInTransactionError(RuntimeError):
    """A state table would be created or altered inside ``transaction()``: on Snowflake the
    DDL statement would commit the transaction's earlier statements."""


def connect_args(settings: Mapping[str, Any]) -> dict[str, Any]:
    """``snowflake.connector.connect``'s arguments for a rendered dbt-snowflake profile
    output, as dbt-snowflake's connection manager builds them (the values may hold a
    password or a private key: never log them)."""
    from dbt.adapters.snowflake.connections import SnowflakeCredentials

    data = SnowflakeCredentials.translate_aliases(
        {k: v for k, v in settings.items() if k not in _NOT_CREDENTIALS}
    )
    SnowflakeCredentials.validate(data)
    credentials = SnowflakeCredentials.from_dict(data)
    session = dict(SESSION_PARAMETERS)
    if credentials.query_tag:
        session["QUERY_TAG"] = credentials.query_tag
    args: dict[str, Any] = {
        "account": credentials.account,
        "database": credentials.database,
        "schema": credentials.schema,
        "warehouse": credentials.warehouse,
        "role": credentials.role,
        "client_session_keep_alive": credentials.client_session_keep_alive,
        "insecure_mode": credentials.insecure_mode,
        "session_parameters": session,
        **credentials.auth_args(),
    }
    if credentials.connect_timeout:
        args["login_timeout"] = credentials.connect_timeout
    return args


def quote_folded(identifier: str) -> str:
    """``identifier`` quoted as Snowflake stores it unquoted: upper case."""
    return quote(identifier.upper())


def merge_sql(
    table: str, columns: Sequence[str], key: Sequence[str], rows: int, *, keep_existing: bool
) -> str:
    """A ``MERGE`` of ``rows`` rows of ``?`` placeholders into ``table`` on ``key``: rows
    whose key is new are inserted; the others replace the non-key columns, or are left as
    they are with ``keep_existing``."""
    names = ", ".join(quote_folded(column) for column in columns)
    matches = " and ".join(f"t.{quote_folded(name)} = s.{quote_folded(name)}" for name in key)
    updates = ", ".join(
        f"{quote_folded(column)} = s.{quote_folded(column)}"
        for column in columns
        if column not in key
    )
    when_matched = (
        f" when matched then update set {updates}" if updates and not keep_existing else ""
    )
    inserted = ", ".join(f"s.{quote_folded(column)}" for column in columns)
    return (
        f"merge into {table} as t using (select * from (values"
        f" {placeholder_rows(len(columns), rows)}) as v({names})) as s on {matches}"
        f"{when_matched} when not matched then insert ({names}) values ({inserted})"
    )


class SnowflakeWarehouse(WarehouseConnection):
    engine = "snowflake"
    TYPE_NAMES: ClassVar[Mapping[ColumnKind, str]] = MappingProxyType(
        {
            "text": "varchar",
            "integer": "integer",
            "bigint": "bigint",
            "double": "double",
            "timestamp": "timestamp_ntz",
            "boolean": "boolean",
        }
    )

    def __init__(self, arguments: Mapping[str, Any]) -> None:
        """``arguments``: ``connect_args`` of the profile output. Snowflake has no read-only
        session: what the connection may change is what the profile's role is granted."""
        super().__init__()
        user = f"{arguments['user']}@" if arguments.get("user") else ""
        self._where = (
            f"snowflake://{user}{arguments['account']}"
            f"/{arguments.get('database') or ''}/{arguments.get('schema') or ''}"
        )
        with _driver_errors():
            self._connection = snowflake.connector.connect(
                **{
                    **arguments,
                    "autocommit": True,
                    # for this connection only (the module-level default is process-wide)
                    "paramstyle": "qmark",
                    "application": APPLICATION,
                }
            )

    @property
    def location(self) -> str:
        return self._where

    def close(self) -> None:
        self._connection.close()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with _driver_errors(), self._connection.cursor() as cursor:
            cursor.execute(sql, list(params))

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with _driver_errors(), self._connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return [tuple(row) for row in cursor.fetchall()]

    def stream(
        self, sql: str, params: Sequence[Any] = (), batch_rows: int = DEFAULT_FETCH_ROWS
    ) -> Iterator[list[Row]]:
        # the result stays on the server and the connector downloads it chunk by chunk, so
        # fetchmany holds at most a chunk; writes go on through other cursors meanwhile
        with _driver_errors(), self._connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            while True:
                rows = cursor.fetchmany(batch_rows)
                if not rows:
                    return
                yield [tuple(row) for row in rows]

    def preview(self, sql: str, limit: int) -> tuple[list[str], list[Row]]:
        with _driver_errors(), self._connection.cursor() as cursor:
            cursor.execute(sql)
            # the session folds every name to upper case (QUOTED_IDENTIFIERS_IGNORE_CASE);
            # lower case is what the same query names on the other engines
            columns = [str(description[0]).lower() for description in cursor.description or []]
            return columns, [tuple(row) for row in cursor.fetchmany(limit)]

    def purge_deleted(self, relations: Sequence[str]) -> None:
        """Nothing: Snowflake keeps deleted rows for Time Travel (the owner's
        ``DATA_RETENTION_TIME_IN_DAYS``) and then Fail-safe, which nothing shortens. The
        erasure holds once the retention the account sets has passed (see the docs)."""

    def quote_name(self, identifier: str) -> str:
        return quote_folded(identifier)

    def columns(self, schema: str, table: str) -> list[str] | None:
        # Snowflake stores unquoted names upper-cased; activation's names are lower case
        rows = self.fetchall(
            "select column_name from information_schema.columns"
            " where table_schema = ? and table_name = ? order by ordinal_position",
            [schema.upper(), table.upper()],
        )
        return [str(row[0]).lower() for row in rows] or None

    def ensure_table(self, table: Table) -> None:
        if self._in_transaction and self._needs_ddl(table):
            raise DdlInTransactionError(
                f"{table.qualified} must be created or migrated before transaction():"
                " Snowflake commits an open transaction at a DDL statement"
            )
        super().ensure_table(table)

    def _needs_ddl(self, table: Table) -> bool:
        existing = self.columns(table.schema, table.name)
        return existing is None or not set(table.column_names) <= set(existing)

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
        """As ``WarehouseConnection.upsert_rows``, one ``MERGE`` per chunk (Snowflake has no
        ``on conflict``). A MERGE whose source repeats a key fails on Snowflake
        (nondeterministic), so the source holds the last row of each key, as on the others."""
        for part in chunks(last_row_per_key(columns, key, rows), chunk):
            self.execute(
                merge_sql(table, columns, key, len(part), keep_existing=keep_existing),
                [value for row in part for value in row],
            )

    def _begin(self) -> None:
        self.execute("begin")

    def _commit(self) -> None:
        self.execute("commit")

    def _rollback(self) -> None:
        self.execute("rollback")
