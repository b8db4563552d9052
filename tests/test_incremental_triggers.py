"""The incremental trigger cycle (models/intermediate/triggers/int_trigger_sends_timed.sql,
models/marts/triggers/triggered_sends.sql): a warehouse built run after run, as the
15-minute job does, holds after each run the same sends, statuses and timed rows as a
`--full-refresh` of the two models on the same data, while a run 15 minutes after the last
recomputes only the few contacts whose inputs changed.

Between runs, raw rows land up to the run's instant, the ledger records sends (sent, and
skipped at send time), a var that the timed rows depend on changes, a run repeats the same
instant, and one replays an earlier instant. Once, sends already past their expiry change
status all the same: the ledger records late outcomes for some, and contacts holding some
unsubscribe (triggered_sends decides those again only when such an input changed).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from activation.sends.ledger import LEDGER_COLUMNS, LEDGER_TABLE, ensure_ledger
from activation.warehouse import Warehouse
from nudge.dbt_runner import run_dbt
from nudge.generator import generate
from nudge.raw_copy import copy_raw_to_postgres
from tests.engines.postgres import PostgresServer
from tests.engines.results import differences, read_duckdb, read_postgres

pytestmark = pytest.mark.slow

START = datetime(2026, 10, 20)
RAW_TABLES = {"events": "received_at", "identifies": "received_at", "product_catalog": "updated_at"}
TIMED = "intermediate.int_trigger_sends_timed"
SENDS = "triggers.triggered_sends"
# the timed rows' columns but processed_as_of (when the row was written): what is compared
TIMED_COLUMNS = (
    "select string_agg(column_name, ', ' order by ordinal_position)"
    " from information_schema.columns where table_schema = 'intermediate'"
    " and table_name = 'int_trigger_sends_timed' and column_name <> 'processed_as_of'"
)
TRIGGER_MODELS = ("int_trigger_sends_timed", "triggered_sends")
TARGET = "klaviyo:test#key-sha256:000000000000"


@dataclass(frozen=True)
class Step:
    as_of: datetime
    vars: dict[str, object]
    timed_rows: int
    timed_rewritten: int
    differences: dict[str, list[Any]]
    # sends past their expiry at the previous run whose status this run changed
    expired_sends_changed: int


def _run(
    warehouse: Path,
    as_of: datetime,
    select: list[str],
    *extra: str,
    vars: dict[str, object] | None = None,
    **dbt: Any,
) -> None:
    run_dbt(
        ["build", "--exclude-resource-type", "test", "unit_test", *extra, "--select", *select],
        warehouse,
        dbt_vars={"as_of": as_of.isoformat(sep=" "), **(vars or {})},
        quiet=True,
        **dbt,
    )


def _land(source: Path, warehouse: Path, until: datetime) -> None:
    """The raw rows received by `until` that the warehouse does not hold yet."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"attach '{source}' as source (read_only)")
        con.execute("create schema if not exists raw")
        for table, cursor in RAW_TABLES.items():
            con.execute(
                f"create table if not exists raw.{table} as from source.raw.{table} limit 0"
            )
            con.execute(
                f"insert into raw.{table} select * from source.raw.{table}"
                f" where try_cast({cursor} as timestamp) <= timestamp '{until}'"
                f" and try_cast({cursor} as timestamp) > coalesce("
                f"(select max(try_cast({cursor} as timestamp)) from raw.{table}),"
                " timestamp '1970-01-01')"
            )


def _ledger_row(send: dict[str, Any], sent: bool, at: datetime) -> tuple[Any, ...]:
    """A ledger row recording `send` at `at`: sent, or skipped at send time (unsubscribed)."""
    row = {
        **send,
        "destination_target": TARGET,
        "status": "sent" if sent else "skipped",
        "status_reason": None if sent else "unsubscribed",
        "attempts": 1,
        "created_at": at,
        "updated_at": at,
        "sent_at": at if sent else None,
        "first_attempt_at": at,
    }
    return tuple(row.get(column) for column in LEDGER_COLUMNS)


def _insert_ledger_rows(warehouse: Path, rows: list[tuple[Any, ...]]) -> None:
    with Warehouse(warehouse) as connection:
        ensure_ledger(connection)
    with duckdb.connect(str(warehouse)) as con:
        con.executemany(
            f"insert into {LEDGER_TABLE} ({', '.join(LEDGER_COLUMNS)})"
            f" values ({', '.join('?' * len(LEDGER_COLUMNS))})",
            rows,
        )


def _record_sends(warehouse: Path, at: datetime) -> int:
    """The ledger sends half of the due sends and skips a quarter at send time."""
    due = read_duckdb(
        warehouse,
        "select send_key, contact_id, trigger_key, step, series_id, variant, due_at,"
        f" timezone from {SENDS} where status = 'due' order by send_key",
    ).as_dicts()
    rows = [
        _ledger_row(send, sent=i % 4 in (0, 1), at=at) for i, send in enumerate(due) if i % 4 != 3
    ]
    _insert_ledger_rows(warehouse, rows)
    return len(rows)


def _change_expired_sends(warehouse: Path, at: datetime) -> None:
    """Inputs that change the status of sends past their expiry: the ledger records late
    outcomes (sent for three expired sends, skipped for three cancelled ones), and two
    contacts holding expired sends who may be emailed unsubscribe."""
    columns = ", ".join(
        f"sends.{column}"
        for column in (
            *("send_key", "contact_id", "trigger_key", "step", "series_id", "variant"),
            *("due_at", "timezone"),
        )
    )
    rows = []
    for status, outcome in (("expired", "sent"), ("cancelled", "skipped")):
        sends = read_duckdb(
            warehouse,
            f"select {columns} from {SENDS} as sends inner join {TIMED} as timed using (send_key)"
            f" where sends.status = '{status}' and timed.expires_at < timestamp '{at}'"
            " order by sends.send_key limit 3",
        ).as_dicts()
        assert len(sends) == 3, status
        rows += [_ledger_row(send, sent=outcome == "sent", at=at) for send in sends]
    _insert_ledger_rows(warehouse, rows)
    with duckdb.connect(str(warehouse)) as con:
        contacts = con.execute(
            f"select sends.contact_id from {SENDS} as sends"
            f" inner join {TIMED} as timed using (send_key)"
            " inner join contacts.contact_profiles as profiles"
            " on sends.contact_id = profiles.contact_id"
            f" where sends.status = 'expired' and timed.expires_at < timestamp '{at}'"
            " and not profiles.is_suppressed"
            " group by sends.contact_id order by sends.contact_id limit 2"
        ).fetchall()
        assert len(contacts) == 2
        template = con.execute(
            "select * from raw.events where event = 'Unsubscribed' limit 1"
        ).fetchone()
        assert template is not None
        names = [d[0] for d in con.execute("select * from raw.events limit 0").description]
        for (contact_id,) in contacts:
            event = dict(zip(names, template, strict=True))
            event.update(
                message_id=f"late-unsubscribe-{contact_id}",
                user_id=contact_id,
                anonymous_id=None,
                timestamp=at,
                received_at=at,
            )
            con.execute(
                f"insert into raw.events ({', '.join(names)})"
                f" values ({', '.join('?' * len(names))})",
                list(event.values()),
            )


def _expired_sends_changed(warehouse: Path, before: dict[str, str], last_as_of: datetime) -> int:
    """How many sends past their expiry at `last_as_of` now have another status."""
    now = read_duckdb(
        warehouse,
        f"select sends.send_key, sends.status from {SENDS} as sends"
        f" inner join {TIMED} as timed using (send_key)"
        f" where timed.expires_at < timestamp '{last_as_of}'",
    ).rows
    return sum(1 for send_key, status in now if before.get(send_key, status) != status)


def _differences(
    warehouse: Path, tmp_path: Path, as_of: datetime, vars: dict[str, object]
) -> dict[str, list[Any]]:
    """Each table against a `--full-refresh` of the two models on a copy of the warehouse."""
    # the same file name: a DuckDB view names its catalog (the file's stem), and the copy's
    # trigger_price_drop view is not rebuilt
    full = tmp_path / "full" / warehouse.name
    full.parent.mkdir(exist_ok=True)
    shutil.copyfile(warehouse, full)
    _run(full, as_of, list(TRIGGER_MODELS), "--full-refresh", vars=vars)
    found = {}
    for table, columns in ((SENDS, "*"), (TIMED, read_duckdb(full, TIMED_COLUMNS).rows[0][0])):
        expected = read_duckdb(full, f"select {columns} from {table}")
        actual = read_duckdb(warehouse, f"select {columns} from {table}")
        assert len(expected.rows) > 100, table
        found[table] = differences(expected, actual, [])
    return found


def _timed_rewritten(warehouse: Path, as_of: datetime) -> tuple[int, int]:
    """The timed rows, and how many the run as of `as_of` wrote."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute(
            f"select count(*), count(*) filter (processed_as_of = ?) from {TIMED}", [as_of]
        ).fetchone()
    assert row is not None
    return row[0], row[1]


@pytest.fixture(scope="module")
def steps(tmp_path_factory: pytest.TempPathFactory) -> list[Step]:
    tmp_path = tmp_path_factory.mktemp("incremental_triggers")
    source = tmp_path / "source.duckdb"
    generate(source, contacts=200, seed=31, end=START + timedelta(days=10), days=60)
    warehouse = tmp_path / "nudge.duckdb"
    _land(source, warehouse, START)
    _run(warehouse, START, ["+triggered_sends"])

    # (as_of, vars, what happens before the run: record due sends, change expired ones)
    plan: list[tuple[datetime, dict[str, object], str]] = [
        (START + timedelta(minutes=15), {}, ""),
        (START + timedelta(hours=6), {}, "record"),
        (START + timedelta(days=1), {}, "record"),
        (START + timedelta(days=1), {}, ""),  # the same instant again
        (START + timedelta(days=1, hours=1), {}, "expired"),
        (START + timedelta(days=2), {"holdout_pct": 20}, ""),
        (START + timedelta(days=1, hours=12), {"holdout_pct": 20}, ""),  # a replay
    ]
    done = []
    last_as_of = START
    for as_of, vars, before_run in plan:
        if before_run == "record":
            assert _record_sends(warehouse, as_of - timedelta(minutes=5)) > 0
        _land(source, warehouse, as_of)
        if before_run == "expired":
            _change_expired_sends(warehouse, as_of - timedelta(minutes=5))
        statuses = dict(read_duckdb(warehouse, f"select send_key, status from {SENDS}").rows)
        _run(warehouse, as_of, ["+triggered_sends"], vars=vars)
        total, rewritten = _timed_rewritten(warehouse, as_of)
        found = _differences(warehouse, tmp_path, as_of, vars)
        changed = _expired_sends_changed(warehouse, statuses, last_as_of)
        done.append(Step(as_of, vars, total, rewritten, found, changed))
        last_as_of = as_of
    return done


def test_each_run_equals_a_full_refresh(steps: list[Step]) -> None:
    assert [(s.as_of, s.differences) for s in steps] == [
        (s.as_of, {SENDS: [], TIMED: []}) for s in steps
    ]


def test_a_run_15_minutes_later_rewrites_few_contacts(steps: list[Step]) -> None:
    first = steps[0]
    assert first.timed_rewritten < 0.2 * first.timed_rows, first


def test_sends_past_their_expiry_follow_late_outcomes_and_unsubscribes(
    steps: list[Step],
) -> None:
    """Three late sent, three late skipped, and the expired sends of two contacts who
    unsubscribed: at least the six ledger outcomes and one send of each contact."""
    late = steps[4]
    assert late.as_of == START + timedelta(days=1, hours=1)
    assert late.expired_sends_changed >= 8, late
    assert late.differences == {SENDS: [], TIMED: []}


def test_a_changed_var_rewrites_every_timed_row(steps: list[Step]) -> None:
    changed = steps[5]
    assert changed.vars == {"holdout_pct": 20}
    assert changed.timed_rewritten == changed.timed_rows


def test_postgres_cycle_equals_a_full_refresh(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    """delete + insert, the post-hook and the fingerprints on PostgreSQL: three runs, then the
    two models as they are against a `--full-refresh` of them."""
    source = tmp_path / "source.duckdb"
    generate(source, contacts=120, seed=37, end=START + timedelta(days=5), days=40)
    database = postgres_server.create_database("nudge_incremental_triggers")
    pg = postgres_server.connection(database)
    dbt: dict[str, Any] = {"target": "postgres", "env": postgres_server.dbt_env(database)}
    staged, artifacts = tmp_path / "staged.duckdb", tmp_path / "artifacts" / "nudge.duckdb"
    artifacts.parent.mkdir()
    last = START + timedelta(days=1)
    for as_of in (START, START + timedelta(hours=6), last):
        _land(source, staged, as_of)
        copy_raw_to_postgres(staged, pg)
        _run(artifacts, as_of, ["+triggered_sends"], **dbt)

    compared = ((SENDS, "*"), (TIMED, read_postgres(pg, TIMED_COLUMNS).rows[0][0]))
    incremental = {
        table: read_postgres(pg, f"select {columns} from {table}") for table, columns in compared
    }
    counts = read_postgres(
        pg,
        f"select count(*) as total, count(*) filter (where processed_as_of = timestamp '{last}')"
        f" as rewritten from {TIMED}",
    ).as_dicts()[0]
    assert 0 < counts["rewritten"] < counts["total"], counts
    _run(artifacts, last, list(TRIGGER_MODELS), "--full-refresh", **dbt)
    for table, columns in compared:
        expected = read_postgres(pg, f"select {columns} from {table}")
        assert len(expected.rows) > 100, table
        assert differences(expected, incremental[table], []) == [], table
