"""The activation state layer through the warehouse interface, on DuckDB, on a real
PostgreSQL server (the session cluster of tests/engines/postgres.py) and on Snowflake as
fakesnow emulates it in process: tables created and migrated, a sync diffed and its state
recorded, sends claimed and recorded in the ledger, run history, tombstones, and everything
read back the same on every engine."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import duckdb
import fakesnow
import pytest

from activation import diff, leases, state
from activation.declarations import ColumnRef, FieldMapping, NudgeSync, SyncDeclaration
from activation.sends import history, ledger
from activation.sends.ledger import LedgerKey
from activation.sends.suppressions import ensure_suppressions
from activation.tombstones import add_tombstones, load_tombstones
from activation.warehouse import (
    NestedTransactionError,
    WarehouseConnection,
    open_warehouse,
    warehouse_target,
)
from activation.warehouse.tables import Table
from tests.engines.postgres import PostgresServer

ENGINES = ("duckdb", "postgres", "snowflake")
FAKE_SNOWFLAKE_ENV = {
    "SNOWFLAKE_ACCOUNT": "fake_account",
    "SNOWFLAKE_USER": "nudge",
    "SNOWFLAKE_PASSWORD": "not-a-secret",
    "SNOWFLAKE_SCHEMA": "public",
}
NOW = datetime(2026, 3, 1, 12, 0, 0)
SCOPE = ("subscribers", "sandbox")
_databases = itertools.count(1)
FAKESNOW_MERGE_WITH_BINDS = pytest.mark.xfail(
    strict=True,
    raises=duckdb.InvalidInputException,
    reason="fakesnow 0.11.10 runs MERGE as several statements, each given every bound value",
)


@pytest.fixture(params=ENGINES)
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WarehouseConnection]:
    """A fresh, empty warehouse of each engine, opened from the dbt profile's target."""
    if request.param == "duckdb":
        target = warehouse_target("duckdb", env={"NUDGE_WAREHOUSE": str(tmp_path / "w.duckdb")})
    elif request.param == "postgres":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        database = server.create_database(f"warehouse_state_{next(_databases)}")
        target = warehouse_target("postgres", env=server.dbt_env(database))
    else:
        target = warehouse_target("snowflake", env=FAKE_SNOWFLAKE_ENV)
    with ExitStack() as stack:
        if request.param == "snowflake":
            # the engine's own snowflake.connector.connect call, answered in process
            stack.enter_context(fakesnow.patch())
        opened = stack.enter_context(open_warehouse(target=target))
        assert opened.engine == request.param
        yield opened


def upserts(request: pytest.FixtureRequest, warehouse: WarehouseConnection) -> None:
    """This test upserts: on Snowflake a MERGE with bound values, which fakesnow cannot run
    (it splits a MERGE into several DuckDB statements and gives each all the parameters).
    tests/test_warehouse_snowflake.py checks the MERGE itself."""
    if warehouse.engine == "snowflake":
        request.applymarker(FAKESNOW_MERGE_WITH_BINDS)


def declaration(mode: str = "mirror") -> SyncDeclaration:
    return SyncDeclaration(
        name=SCOPE[0],
        model_unique_id="model.nudge.subscribers",
        relation_name='"syncs"."subscribers"',
        schema_name="syncs",
        table_name="subscribers",
        config=NudgeSync(
            destination="webhook",
            object="profiles",
            mode=mode,  # type: ignore[arg-type]
            identifier=ColumnRef(column="email"),
            fields=FieldMapping(attributes={"first_name": "first_name"}),
        ),
    )


def plan(warehouse: WarehouseConnection) -> dict[str, tuple[str, str | None]]:
    """record_key -> (action, row_hash) of every planned row."""
    sql = diff.actions_sql(declaration(), ("added", "changed", "retry", "unchanged", "remove"))
    rows = [row for batch in warehouse.stream(sql, list(SCOPE), batch_rows=2) for row in batch]
    return {str(row[1]): (str(row[0]), row[2]) for row in rows}


def test_sync_diff_and_state_round_trip(
    request: pytest.FixtureRequest, warehouse: WarehouseConnection
) -> None:
    upserts(request, warehouse)
    warehouse.execute("create schema if not exists syncs")
    warehouse.execute("create table syncs.subscribers (email varchar, first_name varchar)")
    warehouse.insert_rows(
        "syncs.subscribers",
        ("email", "first_name"),
        [(" A@x.com", "Ann"), ("b@x.com", None), ("c@x.com", "Cy"), ("d@x.com", "Di")],
    )
    state.ensure_tables(warehouse)
    state.ensure_tables(warehouse)  # idempotent

    first = plan(warehouse)
    assert {key: action for key, (action, _) in first.items()} == {
        "a@x.com": "added",
        "b@x.com": "added",
        "c@x.com": "added",
        "d@x.com": "added",
    }
    confirmed = {key: str(row_hash) for key, (_, row_hash) in first.items() if key != "d@x.com"}
    state.mark_synced(warehouse, SCOPE, confirmed, {"a@x.com": "ref-a"})
    state.mark_failed(warehouse, SCOPE, {"d@x.com": "rejected"}, {})

    warehouse.execute("update syncs.subscribers set first_name = 'Bea' where email = 'b@x.com'")
    warehouse.execute("delete from syncs.subscribers where email = 'c@x.com'")
    second = {key: action for key, (action, _) in plan(warehouse).items()}
    assert second == {
        "a@x.com": "unchanged",
        "b@x.com": "changed",
        "c@x.com": "remove",
        "d@x.com": "retry",
    }

    # the upsert replaces the row of a key already there, on every engine
    state.mark_removed(warehouse, SCOPE, {"c@x.com": None})
    state.mark_synced(warehouse, SCOPE, {"a@x.com": "h2"}, {"a@x.com": "ref-a2"})
    stored = warehouse.fetchall(
        f"select record_key, row_hash, status, last_error, destination_ref from {state.STATE_TABLE}"
        " where sync_name = ? and destination_target = ? order by record_key",
        list(SCOPE),
    )
    assert stored == [
        ("a@x.com", "h2", "synced", None, "ref-a2"),
        ("b@x.com", confirmed["b@x.com"], "synced", None, None),
        ("c@x.com", None, "removed", None, None),
        ("d@x.com", None, "failed", "rejected", None),
    ]
    state.forget(warehouse, SCOPE, ["c@x.com", "d@x.com"])
    remaining = warehouse.fetchall(f"select count(*) from {state.STATE_TABLE}")
    assert remaining == [(2,)]

    state.start_run(warehouse, "run-1", SCOPE, NOW)
    measures = {name: 1 for name in state.RUN_MEASURES}
    measures |= {"finished_at": NOW + timedelta(seconds=5), "status": "succeeded"}
    measures |= {"throttle_seconds": 0.25, "duration_seconds": 5.5}
    state.finish_run(warehouse, SimpleNamespace(run_id="run-1", **measures))  # type: ignore[arg-type]
    run = warehouse.fetchall(
        f"select status, added, throttle_seconds, finished_at from {state.RUNS_TABLE}"
    )
    assert run == [("succeeded", 1, 0.25, NOW + timedelta(seconds=5))]


def key(n: int, status: str | None = None) -> LedgerKey:
    return LedgerKey(
        send_key=f"k{n}",
        contact_id=f"c{n}",
        trigger_key="welcome",
        step=1,
        series_id=f"s{n}",
        variant="A",
        due_at=NOW - timedelta(minutes=n),
        timezone="Europe/Paris" if n % 2 else None,
        ledger_status=status,
    )


def ledger_rows(warehouse: WarehouseConnection) -> dict[str, tuple[object, ...]]:
    rows = warehouse.fetchall(
        "select send_key, status, status_reason, attempts, last_error, sent_at,"
        f" deferred_until, expires_at, due_at, timezone from {ledger.LEDGER_TABLE}"
        " where destination_target = ? order by send_key",
        ["sandbox"],
    )
    return {str(row[0]): tuple(row[1:]) for row in rows}


def test_send_ledger_claim_and_record(warehouse: WarehouseConnection) -> None:
    ledger.ensure_ledger(warehouse)
    history.ensure_runs(warehouse)
    ensure_suppressions(warehouse)
    later = NOW + timedelta(minutes=1)

    ledger.mark_pending(warehouse, "sandbox", [key(n) for n in range(1, 5)], NOW)
    ledger.record_outcome(
        warehouse,
        "sandbox",
        sent={"k1": NOW},
        failed={"k2": "400 bad template"},
        waiting={"k3": "503"},
        now=later,
    )
    until = NOW + timedelta(hours=9)
    ledger.mark_not_sent(
        warehouse,
        "sandbox",
        "deferred",
        [key(4, "pending"), key(5)],
        {"k4": "quiet_hours", "k5": "quiet_hours"},
        later,
        deferred_until={"k4": until},
        expires_at={"k4": until + timedelta(hours=24)},
    )
    # the failed send is claimed again, then sent; the unavailable one is given up
    ledger.write(warehouse, "sandbox", later, pending=[key(2, "failed")], sent={"k2": later})
    ledger.give_up(warehouse, "sandbox", ["k3"], "outcome unknown", 3, later)

    rows = ledger_rows(warehouse)
    assert rows["k1"] == ("sent", None, 1, None, NOW, None, None, key(1).due_at, "Europe/Paris")
    assert rows["k2"] == ("sent", None, 2, None, later, None, None, key(2).due_at, None)
    assert rows["k3"][:4] == ("failed", "outcome_unknown", 3, "outcome unknown")
    assert rows["k4"] == (
        "deferred",
        "quiet_hours",
        0,
        None,
        None,
        until,
        until + timedelta(hours=24),
        key(4).due_at,
        None,
    )
    assert rows["k5"][:4] == ("deferred", "quiet_hours", 0, None)
    assert rows["k5"][5:7] == (None, None)
    assert ledger.status_counts(warehouse, "sandbox") == {"sent": 2, "failed": 1, "deferred": 2}
    assert ledger.status_counts(warehouse, "other") == {}


def test_migration_adds_later_columns_and_keeps_rows(warehouse: WarehouseConnection) -> None:
    """A sync_runs table from before the fault counters gains them, rows intact."""
    warehouse.execute("create schema if not exists activation")
    warehouse.execute(
        "create table activation.sync_runs (run_id varchar primary key, sync_name varchar,"
        " destination_target varchar, started_at timestamp, status varchar)"
    )
    warehouse.execute(
        "insert into activation.sync_runs values ('old', 's', 't', ?, 'succeeded')", [NOW]
    )
    state.ensure_tables(warehouse)
    columns = warehouse.columns("activation", "sync_runs")
    assert columns is not None
    assert columns[:5] == ["run_id", "sync_name", "destination_target", "started_at", "status"]
    assert set(columns) == set(state.RUNS.column_names)
    assert warehouse.fetchall(
        "select run_id, status, duration_seconds from activation.sync_runs"
    ) == [("old", "succeeded", None)]


def test_an_interrupted_ledger_migration_is_finished_by_the_next_run(
    warehouse: WarehouseConnection,
) -> None:
    """A ledger from before first_attempt_at: the column is added, then its 'pending' rows
    get their creation as first attempt — two statements, and Snowflake commits DDL at once.
    A run killed between them left the column there and the rows null; the next run's
    ensure_ledger fills them (and nothing else)."""
    old = Table(
        ledger.LEDGER.schema,
        ledger.LEDGER.name,
        tuple(c for c in ledger.LEDGER.columns if c.name != "first_attempt_at"),
        ledger.LEDGER.primary_key,
    )
    warehouse.execute("create schema if not exists activation")
    warehouse.ensure_table(old)
    row = dict.fromkeys(old.column_names)
    row.update(destination_target="t", contact_id="c", trigger_key="tr", step=1, series_id="s")
    row.update(attempts=0, created_at=NOW, updated_at=NOW + timedelta(hours=3))
    rows = [{**row, "send_key": f"k-{s}", "status": s} for s in ("pending", "sent")]
    warehouse.insert_rows(ledger.LEDGER_TABLE, old.column_names, [list(r.values()) for r in rows])
    warehouse.ensure_table(ledger.LEDGER)  # the column added; the run was killed here

    ledger.ensure_ledger(warehouse)

    first = warehouse.fetchall(
        f"select send_key, first_attempt_at from {ledger.LEDGER_TABLE} order by send_key"
    )
    assert first == [("k-pending", NOW), ("k-sent", None)]


def test_tombstones_keep_the_first_erasure(
    request: pytest.FixtureRequest, warehouse: WarehouseConnection
) -> None:
    upserts(request, warehouse)
    add_tombstones(warehouse, email=" Ann@X.com", contact_ids=["c1"], erased_at=NOW)
    add_tombstones(
        warehouse, email="ann@x.com", contact_ids=["c1", "c2"], erased_at=NOW.replace(day=2)
    )
    erased = warehouse.fetchall(
        "select kind, erased_at from activation.erasure_tombstones order by erased_at, kind"
    )
    assert erased == [
        ("contact_id", NOW),
        ("email", NOW),
        ("contact_id", NOW.replace(day=2)),
    ]
    tombstones = load_tombstones(warehouse)
    assert tombstones.covers(email="ANN@x.com ")
    assert tombstones.covers(contact_id="c2")
    assert not tombstones.covers(email="bob@x.com", contact_id="c3")


def test_a_run_lease_is_held_by_one_run_until_given_back_or_lapsed(
    request: pytest.FixtureRequest, warehouse: WarehouseConnection
) -> None:
    upserts(request, warehouse)
    clock = SimpleNamespace(now=NOW)
    with leases.hold(warehouse, leases.SENDS, "run-a", lambda: clock.now) as lease:
        with (
            pytest.raises(leases.LeaseHeld, match=r"run run-a on .* lapses at"),
            leases.hold(warehouse, leases.SENDS, "run-b", lambda: clock.now),
        ):
            pytest.fail("two runs held the lease")
        with leases.hold(warehouse, "sync subscribers at sandbox", "run-b", lambda: clock.now):
            pass  # another lease is another lease
        clock.now += leases.LEASE_TTL / 2
        lease.renew()  # half of it passed: extended from now
        clock.now += leases.LEASE_TTL * 3 / 4
        with (
            pytest.raises(leases.LeaseHeld),  # renewed, so not lapsed
            leases.hold(warehouse, leases.SENDS, "run-b", lambda: clock.now),
        ):
            pass
    with leases.hold(warehouse, leases.SENDS, "run-b", lambda: clock.now):
        pass  # given back on the way out
    assert warehouse.fetchall(f"select count(*) from {leases.LEASES_TABLE}") == [(0,)]


def test_a_lapsed_lease_is_taken_over_and_its_run_stops_at_its_next_renewal(
    request: pytest.FixtureRequest, warehouse: WarehouseConnection
) -> None:
    upserts(request, warehouse)
    clock = SimpleNamespace(now=NOW)
    stalled_run = leases.hold(warehouse, leases.SENDS, "stalled", lambda: clock.now)
    stalled = stalled_run.__enter__()
    clock.now += leases.LEASE_TTL + timedelta(seconds=1)
    with leases.hold(warehouse, leases.SENDS, "next", lambda: clock.now):
        with pytest.raises(leases.LeaseLost, match="another run took it"):
            stalled.renew()
        stalled_run.__exit__(None, None, None)  # the stalled run ends while the next runs
        holders = warehouse.fetchall(f"select holder from {leases.LEASES_TABLE}")
        assert holders == [("next",)]


def test_transactions_roll_back_and_refuse_nesting(warehouse: WarehouseConnection) -> None:
    warehouse.execute("create table kept (n integer, label varchar)")
    with pytest.raises(ZeroDivisionError), warehouse.transaction():
        warehouse.insert_rows("kept", ("n", "label"), [(1, "50% off?")])
        raise ZeroDivisionError
    assert warehouse.fetchall("select count(*) from kept") == [(0,)]
    with warehouse.transaction():
        warehouse.insert_rows("kept", ("n", "label"), [(1, "50% off?")])
        with pytest.raises(NestedTransactionError), warehouse.transaction():
            pass
    # literal ? and % in strings are text, not placeholders, on every engine
    assert warehouse.fetchall(
        "select label, '?' as q, '100%' as p from kept where label like ? and n = ?",
        ["50%", 1],
    ) == [("50% off?", "?", "100%")]


def test_stream_reads_in_batches_while_writing(warehouse: WarehouseConnection) -> None:
    warehouse.execute("create table numbers (n integer)")
    warehouse.insert_rows("numbers", ("n",), [(n,) for n in range(1_234)], chunk=100)
    sizes, seen = [], 0
    for batch in warehouse.stream("select n from numbers where n >= ? order by n", [0], 500):
        sizes.append(len(batch))
        seen += sum(n for (n,) in batch)
        warehouse.execute("insert into numbers values (?)", [-1])
    assert sizes == [500, 500, 234]
    assert seen == sum(range(1_234))
    assert warehouse.fetchall("select count(*) from numbers where n = -1") == [(3,)]
