"""The interface methods the CLI's warehouse calls rely on (``nudge query``, ``nudge erase``,
``nudge sync --trigger``), on DuckDB, a real PostgreSQL server and fakesnow's Snowflake
(the engines of test_warehouse_state.py's fixture): a preview with the
column names, a set-based update from values, purging deleted rows, and telling whether
there is a warehouse at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from activation.warehouse import WAREHOUSE_ERRORS, WarehouseConnection, warehouse_exists
from tests.test_warehouse_state import warehouse

__all__ = ["warehouse"]  # the fixture: a fresh warehouse of each engine


def test_preview_names_the_columns_and_stops_at_the_limit(warehouse: WarehouseConnection) -> None:
    warehouse.execute("create table t (name varchar, score integer)")
    warehouse.insert_rows("t", ("name", "score"), [("a%", 1), ("b", 2), ("c", 3)])
    # a literal % and a ? inside quotes reach the engine as written
    columns, rows = warehouse.preview(
        "select name, score, '?' as mark from t where name like '%' order by score", 2
    )
    assert columns == ["name", "score", "mark"]
    assert rows == [("a%", 1, "?"), ("b", 2, "?")]
    assert warehouse.preview("select 'x%%y' as s", 5) == (["s"], [("x%%y",)])


def test_update_rows_sets_each_keyed_row_and_types_a_column_of_nulls(
    warehouse: WarehouseConnection,
) -> None:
    warehouse.execute("create table t (k varchar, v varchar, n integer)")
    warehouse.insert_rows("t", ("k", "v", "n"), [("a", "x", 1), ("b", "y", 2), ("c", "z", 3)])
    warehouse.update_rows("t", "k", [("v", "text"), ("n", "integer")], [("a", None, None)])
    warehouse.update_rows("t", "k", [("v", "text"), ("n", "integer")], [("c", "w", 9)], chunk=1)
    assert warehouse.fetchall("select k, v, n from t order by k") == [
        ("a", None, None),
        ("b", "y", 2),
        ("c", "w", 9),
    ]


def test_purge_deleted_runs_outside_a_transaction(warehouse: WarehouseConnection) -> None:
    warehouse.execute("create schema if not exists s")
    warehouse.execute("create table s.t (k varchar)")
    warehouse.insert_rows("s.t", ("k",), [("a",), ("b",)])
    warehouse.execute("delete from s.t where k = 'a'")
    warehouse.purge_deleted(['"s"."t"'])
    assert warehouse.fetchall("select k from s.t") == [("b",)]


def test_a_refused_statement_is_a_warehouse_error(warehouse: WarehouseConnection) -> None:
    with pytest.raises(WAREHOUSE_ERRORS):
        warehouse.fetchall("select * from no_such_table")


def test_a_missing_duckdb_file_is_no_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUDGE_DBT_TARGET", "duckdb")
    assert not warehouse_exists(tmp_path / "none.duckdb")
    (tmp_path / "there.duckdb").touch()
    assert warehouse_exists(tmp_path / "there.duckdb")
    monkeypatch.setenv("NUDGE_DBT_TARGET", "postgres")
    assert warehouse_exists(tmp_path / "none.duckdb")  # the server says, when connecting
