"""bench/rfm_limit.sql, the hand-written limit `make bench-build` times `+contact_rfm`
against, computes the same RFM as the models: on a small generated store and on the
hand-made raw rows with every quarantine case (a correctness test; nothing is timed)."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from bench.build import parse_steps, table_rows
from bench.limit import compare, run_limit
from bench.measure import Measured
from nudge.dbt_runner import run_dbt
from nudge.generator import generate
from tests.fixtures.raw_rows import AS_OF, write_raw_rows


def _limit_equals_contact_rfm(warehouse: Path, as_of: datetime) -> int:
    run_dbt(["seed"], warehouse, quiet=True)
    run_dbt(
        ["run", "--select", "+contact_rfm"],
        warehouse,
        dbt_vars={"as_of": as_of.isoformat(sep=" ")},
        quiet=True,
    )
    with duckdb.connect(str(warehouse)) as con:
        rows = run_limit(con, as_of)
        comparison = compare(con)
    assert comparison.equal, comparison.summary()
    return rows


def test_limit_equals_contact_rfm_on_a_generated_store(tmp_path: Path) -> None:
    warehouse = tmp_path / "nudge.duckdb"
    end = datetime(2026, 11, 1)
    generate(warehouse, contacts=100, seed=42, end=end, days=30)
    assert _limit_equals_contact_rfm(warehouse, end) > 10


def test_limit_equals_contact_rfm_on_hand_made_rows(tmp_path: Path) -> None:
    warehouse = tmp_path / "nudge.duckdb"
    write_raw_rows(warehouse)
    assert _limit_equals_contact_rfm(warehouse, AS_OF) > 0


def test_profile_charges_each_statement_to_the_node_that_issued_it() -> None:
    """bench/profile.py: a tagged statement is its node's, an untagged one (dbt's COMMIT) the
    commit of the node before it; the clock is read around each statement dbt-duckdb runs."""
    from dbt.adapters.duckdb.environments.local import DuckDBCursorWrapper

    from bench.profile import Charges, charging

    ticks = iter(range(100))
    charges = Charges()
    cursor = DuckDBCursorWrapper(duckdb.connect().cursor())
    with charging(charges, clock=lambda: float(next(ticks)) ** 2):
        cursor.execute("create table t as select 1 as x /* nudge: model.nudge.a */")
        cursor.execute("checkpoint")
        cursor.execute("select * from t /* nudge: model.nudge.b */")
        cursor.execute("select 2")
    cursor.execute("select 3 /* nudge: model.nudge.c */")  # after: not charged
    # clock readings 0,1 | 4,9 | 16,25 | 36,49: each statement its own difference
    assert dict(charges.seconds) == {
        "model.nudge.a": 1.0,
        "model.nudge.a (commit)": 5.0,
        "model.nudge.b": 9.0,
        "model.nudge.b (commit)": 13.0,
    }
    assert dict(charges.statements) == {
        "model.nudge.a": 1,
        "model.nudge.a (commit)": 1,
        "model.nudge.b": 1,
        "model.nudge.b (commit)": 1,
    }


def test_a_subset_of_steps_gives_only_its_rows_with_shares_of_the_full_run() -> None:
    """`--steps run,increment` (the 100k rows): no limit ratio, the increment still as a
    share of (b), and no row for a step that did not run."""
    assert parse_steps("increment, run") == {"increment", "run"}
    with pytest.raises(argparse.ArgumentTypeError, match="unknown step"):
        parse_steps("run,incremental")
    measured = {
        "run": Measured("run", wall_s=200.0, cpu_s=300.0, peak_rss_mb=4096, detail={}),
        "increment": Measured("increment", wall_s=20.0, cpu_s=60.0, peak_rss_mb=1024),
    }
    rows = table_rows(measured, 100_000, 9_476_459, 200, "machine").splitlines()
    assert len(rows) == 2
    run_row, increment_row = rows
    assert "(b) `dbt run`" in run_row and "| — |" in run_row
    assert "10% of (b) wall, 20% of its CPU; 200 events landed" in increment_row
