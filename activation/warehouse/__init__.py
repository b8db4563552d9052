"""The warehouse interface (``WarehouseConnection``, base.py), its engines (DuckDB,
PostgreSQL; Snowflake, imported only for that target) and the factory that opens the one
the dbt profile's target names (``open_warehouse``, profile.py).
docs/warehouse_interface.md explains the choices.

``Warehouse`` is the DuckDB implementation under its historical name: existing callers
open a DuckDB file with ``Warehouse(path)``; new code calls ``open_warehouse`` and
annotates ``WarehouseConnection``.
"""

import duckdb
import psycopg2

from .base import (
    DEFAULT_FETCH_ROWS,
    NestedTransactionError,
    WarehouseBusyError,
    WarehouseConnection,
    WarehouseError,
    quote,
)
from .duckdb_engine import DuckDBWarehouse
from .postgres_engine import PostgresWarehouse
from .profile import WarehouseTarget, open_warehouse, warehouse_exists, warehouse_target
from .tables import Column, Table

Warehouse = DuckDBWarehouse
# what the engines raise for a refused statement, a lost connection or a lock: the drivers'
# errors, and WarehouseError for an engine whose driver is imported only when used
WAREHOUSE_ERRORS: tuple[type[Exception], ...] = (duckdb.Error, psycopg2.Error, WarehouseError)

__all__ = [
    "DEFAULT_FETCH_ROWS",
    "WAREHOUSE_ERRORS",
    "Column",
    "DuckDBWarehouse",
    "NestedTransactionError",
    "PostgresWarehouse",
    "Table",
    "Warehouse",
    "WarehouseBusyError",
    "WarehouseConnection",
    "WarehouseError",
    "WarehouseTarget",
    "open_warehouse",
    "quote",
    "warehouse_exists",
    "warehouse_target",
]
