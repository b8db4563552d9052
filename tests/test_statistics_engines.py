"""The statistics macros compute the same numbers on PostgreSQL and Spark as on DuckDB
(tests/test_statistics_score.py checks the DuckDB numbers against references): the SQL is
compiled by dbt for each target (`postgres` and `spark` outputs of profiles.yml, on the
throwaway engines of tests/engines/) and run over the same cases. The whole project's
build on the three engines is tests/test_portability.py; this test isolates the macros,
whose arithmetic (acos, cos, sqrt, exp on doubles) is what could differ between engines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.engines.postgres import PostgresServer
from tests.engines.spark import SparkEngine
from tests.test_statistics_score import EDGES, EMPTY, GRID, LARGE, SQL, Case, compile_sql

pytestmark = pytest.mark.slow

CASES: list[Case] = [*EDGES, *EMPTY, *GRID[::7], *LARGE[::3]]
COLUMNS = ("ci_low", "ci_high", "z_score", "p_value", "absolute_lift", "relative_lift")


def _rows(names: list[str], rows: list[tuple[Any, ...]]) -> dict[int, dict[str, Any]]:
    return {int(row[0]): dict(zip(names, row, strict=True)) for row in rows}


@pytest.fixture(scope="module")
def on_duckdb(tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, Any]]:
    compiled = compile_sql(SQL, tmp_path_factory.mktemp("duckdb"))
    with duckdb.connect() as con:
        con.execute("create table cases (case_id integer, x1 int, n1 int, x0 int, n0 int)")
        con.executemany(
            "insert into cases values (?, ?, ?, ?, ?)", [(i, *c) for i, c in enumerate(CASES)]
        )
        cursor = con.execute(compiled)
        return _rows([d[0] for d in cursor.description], cursor.fetchall())


def _assert_same(expected: dict[int, dict[str, Any]], actual: dict[int, dict[str, Any]]) -> None:
    assert set(actual) == set(expected)
    for case_id, row in expected.items():
        for column in COLUMNS:
            a, b = row[column], actual[case_id][column]
            if a is None or b is None:
                assert a is None and b is None, (CASES[case_id], column, a, b)
            else:
                assert float(b) == pytest.approx(float(a), abs=1e-9), (CASES[case_id], column)


def test_postgres_computes_what_duckdb_computes(
    postgres_server: PostgresServer,
    on_duckdb: dict[int, dict[str, Any]],
    tmp_path: Path,
) -> None:
    import psycopg2

    database = postgres_server.create_database("nudge_statistics")
    compiled = compile_sql(SQL, tmp_path, "postgres", postgres_server.dbt_env(database))
    con = psycopg2.connect(**postgres_server.connection(database))
    try:
        with con.cursor() as cur:
            cur.execute(
                "create temporary table cases (case_id int, x1 int, n1 int, x0 int, n0 int)"
            )
            cur.executemany(
                "insert into cases values (%s, %s, %s, %s, %s)",
                [(i, *c) for i, c in enumerate(CASES)],
            )
            cur.execute(compiled)
            names = [d[0] for d in cur.description]
            actual = _rows(names, cur.fetchall())
    finally:
        con.close()
    _assert_same(on_duckdb, actual)


def test_spark_computes_what_duckdb_computes(
    spark_engine: SparkEngine,
    on_duckdb: dict[int, dict[str, Any]],
    tmp_path: Path,
) -> None:
    session = spark_engine.session
    compiled = compile_sql(SQL, tmp_path, "spark", spark_engine.dbt_env("nudge_statistics"))
    frame = session.createDataFrame(
        [(i, *c) for i, c in enumerate(CASES)], "case_id int, x1 int, n1 int, x0 int, n0 int"
    )
    frame.createOrReplaceTempView("cases")
    result = session.sql(compiled)
    actual = _rows(result.columns, [tuple(r) for r in result.collect()])
    _assert_same(on_duckdb, actual)
