"""The warehouse interface (``WarehouseConnection``, base.py), its engines (DuckDB,
PostgreSQL) and the factory that opens the one the dbt profile's target names
(``open_warehouse``, profile.py). docs/warehouse_interface.md explains the choices.

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
    quote,
)
from .duckdb_engine import DuckDBWarehouse
from .postgres_engine import PostgresWarehouse
from .profile import WarehouseTarget, open_warehouse, warehouse_exists, warehouse_target
from .tables import Column, Table

Warehouse = DuckDBWarehouse
# what the engines' drivers raise for a refused statement, a lost connection or a lock
WAREHOUSE_ERRORS: tuple[type[Exception], ...] = (duckdb.Error, psycopg2.Error)

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
    "WarehouseTarget",
    "open_warehouse",
    "quote",
    "warehouse_exists",
    "warehouse_target",
]
