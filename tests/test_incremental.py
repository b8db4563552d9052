"""Incremental processing (README, "Incremental processing"): one generated store built day
by day, with rows reaching the warehouse up to 60 hours after their received_at, equals the
same store built all at once; a daily run re-processes only its window.

The daily warehouse first holds another store, built, whose raw tables are then replaced
(what `nudge generate` does). It then receives each raw row at its landing time: its
received_at, or, for one row in ten, 36 to 60 hours later (inside the 72-hour lookback), as
loaders deliver late batches. One dbt run per day as of that day's end; the other warehouse
gets every row and one run as of the last day's end. The daily runs before the last build
only the incremental models (the state carried from run to run); every other model is a
table recomputed from them, so the last run builds the marts.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from nudge.dbt_runner import DbtCommandError, dbt_artifacts_dir, run_dbt
from nudge.generator import GenerationResult, generate
from nudge.paths import PROJECT_ROOT
from nudge.raw_copy import copy_raw_to_postgres
from tests.engines.postgres import PostgresServer
from tests.engines.results import Table, differences, read_duckdb, read_postgres

pytestmark = pytest.mark.slow

FIRST_AS_OF = datetime(2026, 10, 22)
DAILY_RUNS = 8
LAST_AS_OF = FIRST_AS_OF + timedelta(days=DAILY_RUNS)
GENERATED_DAYS = 50

# A raw row's landing time in the daily warehouse: one row in ten arrives 36-60 hours after
# its received_at (capped at the last run, so both warehouses end with the same rows); rows
# without a readable landing time are there from the start.
LANDED_AT = """
    case
        when {cursor} is null then timestamp '1970-01-01'
        when hash(coalesce({key}, '') || cast({cursor} as varchar)) % 10 = 0
            then least(
                {cursor} + to_hours(cast(36 + hash(coalesce({key}, '')) % 25 as bigint)),
                timestamp '{last}'
            )
        else {cursor}
    end
"""
RAW_TABLES = {  # table -> (landing cursor, row key used to pick late rows)
    "events": ("received_at", "message_id"),
    "identifies": ("received_at", "message_id"),
    "product_catalog": ("updated_at", "product_id"),
}

MARTS = {  # table -> key
    "contacts.contact_profiles": ["contact_id"],
    "contacts.contact_rfm": ["contact_id"],
    "segments.segment_memberships": ["segment_key", "contact_id"],
    "staging.stg_quarantined_rows": [],
    "staging.stg_raw_row_reconciliation": ["source_table"],
}
TRIGGERED_SENDS = "triggers.triggered_sends"
HAS_TRIGGERED_SENDS = (PROJECT_ROOT / "models/marts/triggers/triggered_sends.sql").exists()
if HAS_TRIGGERED_SENDS:
    MARTS[TRIGGERED_SENDS] = []

# compared across engines (the quarantine's raw_row JSON is spelled per engine); DuckDB
# rounds a half-cent average down (README, "Other engines")
ENGINE_COMPARED = [t for t in MARTS if t.startswith(("contacts.", "segments."))]
TOLERANCE = {"avg_order_value": Decimal("0.01")}

INCREMENTAL_MODELS = [
    "staging.stg_events__checked",
    "staging.stg_identifies__checked",
    "intermediate.int_anonymous_ids_stitched",
    "intermediate.int_events_attributed",
    "intermediate.int_email_events_parsed",
    "intermediate.int_site_events_sessionized",
    "intermediate.int_cart_events_parsed",
    "intermediate.int_product_views_parsed",
    "intermediate.int_page_views_parsed",
    "intermediate.int_order_lines_parsed",
    "intermediate.int_order_events_parsed",
    "intermediate.int_coupon_events_parsed",
    "intermediate.int_consent_events_parsed",
    "intermediate.int_content_downloads_parsed",
    "intermediate.int_review_events_parsed",
    "intermediate.int_ticket_events_parsed",
    "intermediate.int_signup_events_parsed",
    "intermediate.int_browse_abandonments_detected",
    "intermediate.int_sessions_aggregated",
    "intermediate.int_send_hours_preferred",
    "intermediate.int_product_sightings_priced",
    "intermediate.int_basket_recommendations_ranked",
    "intermediate.int_price_drops_qualified",
    "triggers.trigger_post_purchase_review",
    "triggers.trigger_winback",
    "intermediate.int_unengaged_periods_projected",
    "intermediate.int_email_engagement_summarized",
    "intermediate.int_contact_traits_coalesced",
    "intermediate.int_contact_changes_detected",
]
# not compared with a full build: int_contact_changes_detected keeps, per contact, the last
# run in which its events may have changed, and also the contacts whose events moved away
# (the models reading it must delete their rows), so it is history by design
HISTORY_MODELS = ["intermediate.int_contact_changes_detected"]
# keyed by a hash of what each row was computed from, not by landing time: a run re-does
# exactly the keys whose hash changed, so replaced raw tables need no full recompute
FINGERPRINTED_MODELS = [
    "intermediate.int_basket_recommendations_ranked",
    "intermediate.int_price_drops_qualified",
]

# the incremental models and their parents (no table models: they carry no state)
INCREMENTAL_SELECTED = [
    "+int_site_events_sessionized",
    "+int_email_events_parsed",
    "+int_cart_events_parsed",
    "+int_product_views_parsed",
    "+int_page_views_parsed",
    "+int_order_lines_parsed",
    "+int_order_events_parsed",
    "+int_coupon_events_parsed",
    "+int_consent_events_parsed",
    "+int_content_downloads_parsed",
    "+int_review_events_parsed",
    "+int_ticket_events_parsed",
    "+int_signup_events_parsed",
    "+int_browse_abandonments_detected",
    "+int_sessions_aggregated",
    "+int_send_hours_preferred",
    "+int_product_sightings_priced",
    "+int_basket_recommendations_ranked",
    "+int_price_drops_qualified",
    "+trigger_post_purchase_review",
    "+trigger_winback",
    "+int_unengaged_periods_projected",
    "+int_email_engagement_summarized",
    "+int_contact_traits_coalesced",
    "+int_contact_changes_detected",
]
# the PostgreSQL test leaves triggered_sends to tests/test_portability.py
ENGINE_SELECTED = ["+contact_profiles", "+contact_rfm", "+segment_memberships"]
SELECTED = [
    *ENGINE_SELECTED,
    "stg_quarantined_rows",
    "stg_held_rows",
    "stg_duplicate_conflicts",
    "stg_raw_row_reconciliation",
    *(["+triggered_sends"] if HAS_TRIGGERED_SENDS else []),
]


@dataclass(frozen=True)
class Builds:
    source: Path
    daily: Path
    at_once: Path
    generated: GenerationResult
    late_landings: int
    # the incremental tables the other store left empty: nothing to be incremental from
    empty_before_replacement: frozenset[str]


def _run(
    warehouse: Path,
    as_of: datetime,
    selected: list[str],
    extra_args: tuple[str, ...] = (),
    **dbt: Any,
) -> None:
    run_dbt(
        [
            "build",
            "--exclude-resource-type",
            "test",
            "unit_test",
            *extra_args,
            "--select",
            *selected,
        ],
        warehouse,
        dbt_vars={"as_of": as_of.isoformat(sep=" ")},
        quiet=True,
        **dbt,
    )


def _land(source: Path, warehouse: Path, after: datetime | None, until: datetime) -> int:
    """Copy the raw rows landing in (after, until] from `source` into `warehouse`."""
    landed = 0
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"attach '{source}' as source (read_only)")
        con.execute("create schema if not exists raw")
        for table, (cursor, key) in RAW_TABLES.items():
            con.execute(
                f"create table if not exists raw.{table} as from source.raw.{table} limit 0"
            )
            landed_at = LANDED_AT.format(cursor=cursor, key=key, last=LAST_AS_OF)
            window = f"landed_at <= timestamp '{until}'"
            if after is not None:
                window += f" and landed_at > timestamp '{after}'"
            count = con.execute(
                f"insert into raw.{table} select * exclude (landed_at)"
                f" from (select *, {landed_at} as landed_at from source.raw.{table})"
                f" where {window}"
            ).fetchone()
            landed += count[0] if count else 0
    return landed


def _late_landings(source: Path) -> int:
    with duckdb.connect(str(source), read_only=True) as con:
        cursor, key = RAW_TABLES["events"]
        landed_at = LANDED_AT.format(cursor=cursor, key=key, last=LAST_AS_OF)
        row = con.execute(
            f"select count(*) from raw.events where {landed_at} > {cursor}"
            f" and {cursor} > timestamp '{FIRST_AS_OF}'"
        ).fetchone()
    return row[0] if row else 0


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    source = tmp_path_factory.mktemp("source") / "nudge.duckdb"
    generated = generate(
        source, contacts=250, seed=23, end=LAST_AS_OF, days=GENERATED_DAYS, bad_row_share=0.02
    )

    # the daily warehouse first holds another store, built, whose raw tables are then
    # replaced (as `nudge generate` does): the first daily run must drop all of its rows
    daily = tmp_path_factory.mktemp("daily") / "nudge.duckdb"
    generate(daily, contacts=80, seed=5, end=FIRST_AS_OF - timedelta(days=1), days=20)
    _run(daily, FIRST_AS_OF - timedelta(days=1), INCREMENTAL_SELECTED)
    with duckdb.connect(str(daily)) as con:
        empty = frozenset(
            table
            for table in INCREMENTAL_MODELS
            if con.execute(f"select count(*) = 0 from {table}").fetchone() == (True,)
        )
        for table in RAW_TABLES:
            con.execute(f"drop table raw.{table}")
    _land(source, daily, None, FIRST_AS_OF)
    _run(daily, FIRST_AS_OF, INCREMENTAL_SELECTED)
    for day in range(1, DAILY_RUNS + 1):
        as_of = FIRST_AS_OF + timedelta(days=day)
        _land(source, daily, as_of - timedelta(days=1), as_of)
        _run(daily, as_of, SELECTED if as_of == LAST_AS_OF else INCREMENTAL_SELECTED)

    at_once = tmp_path_factory.mktemp("at_once") / "nudge.duckdb"
    _land(source, at_once, None, LAST_AS_OF)
    _run(at_once, LAST_AS_OF, SELECTED)
    return Builds(source, daily, at_once, generated, _late_landings(source), empty)


def _table(warehouse: Path, name: str) -> Table:
    return read_duckdb(warehouse, f"select * from {name}")


def test_the_data_has_late_events_late_landings_and_duplicates(builds: Builds) -> None:
    assert builds.late_landings > 50
    assert builds.generated.duplicates["events"] > 20
    with duckdb.connect(str(builds.at_once), read_only=True) as con:
        row = con.execute(
            'select count(*) from raw.events where received_at > "timestamp" + interval 1 day'
        ).fetchone()
    assert row is not None and row[0] >= 10


@pytest.mark.parametrize("table", list(MARTS))
def test_day_by_day_equals_all_at_once(builds: Builds, table: str) -> None:
    expected = _table(builds.at_once, table)
    actual = _table(builds.daily, table)
    assert len(expected.rows) > 0, f"{table} is empty: the comparison would prove nothing"
    assert differences(expected, actual, MARTS[table]) == []


@pytest.mark.parametrize("table", [m for m in INCREMENTAL_MODELS if m not in HISTORY_MODELS])
def test_incremental_models_equal_a_full_build(builds: Builds, table: str) -> None:
    columns = "* exclude (processed_as_of)"
    expected = read_duckdb(builds.at_once, f"select {columns} from {table}")
    actual = read_duckdb(builds.daily, f"select {columns} from {table}")
    assert differences(expected, actual, []) == []


@pytest.mark.parametrize("table", HISTORY_MODELS)
def test_history_models_hold_every_key_of_a_full_build(builds: Builds, table: str) -> None:
    """Built day by day, a history model may hold more keys than a full build (contacts whose
    events moved away), never fewer: a contact it lacked would never be recomputed."""
    sql = f"select contact_id from {table}"
    full = {row[0] for row in read_duckdb(builds.at_once, sql).rows}
    kept = {row[0] for row in read_duckdb(builds.daily, sql).rows}
    assert full, f"{table} is empty: the comparison would prove nothing"
    assert sorted(full - kept) == []


def test_raw_rows_reconcile_day_by_day(builds: Builds) -> None:
    reconciliation = _table(builds.daily, "staging.stg_raw_row_reconciliation").as_dicts()
    assert {r["source_table"] for r in reconciliation} == set(RAW_TABLES)
    for r in reconciliation:
        assert r["rows_read"] == r["rows_kept"] + r["duplicates"] + r["quarantined"], r


def test_only_the_run_after_the_raw_tables_were_replaced_recomputed_everything(
    builds: Builds,
) -> None:
    """Every incremental model said so once (macros/cross_db/incremental.sql logs it), at the
    first daily run; the late landings inside the lookback never forced it. A model whose
    table the other store left empty recomputes everything without a word: it has no
    watermark to be incremental from (the other store had, say, no review yet)."""
    log = (dbt_artifacts_dir(builds.daily) / "logs" / "dbt.log").read_text(encoding="utf-8")
    recomputed = [line for line in log.splitlines() if "recomputing every key" in line]
    assert len(builds.empty_before_replacement) <= 3, builds.empty_before_replacement
    models = sorted(
        name.split(".")[-1]
        for name in INCREMENTAL_MODELS
        if name not in FINGERPRINTED_MODELS and name not in builds.empty_before_replacement
    )
    said = sorted(m for line in recomputed for m in models if f'."{m}": ' in line)
    assert said == models
    assert len(recomputed) == len(models)


def test_older_copies_were_re_read_only_in_the_runs_where_a_message_landed_again(
    builds: Builds,
) -> None:
    """stg_events__checked re-reads the older copies of a message_id only when one landed again
    (macros/checks/dedupe.sql logs it): the daily runs took both paths, and the tables still
    equal the all-at-once build (the tests above)."""
    log = (dbt_artifacts_dir(builds.daily) / "logs" / "dbt.log").read_text(encoding="utf-8")
    re_reads = [line for line in log.splitlines() if "older copies of message_ids" in line]
    assert re_reads, "no daily run had a re-delivered message: the path went untested"
    assert all("stg_events__checked" in line for line in re_reads)
    assert len(re_reads) < DAILY_RUNS, "every run re-read older copies: the shortcut never ran"


@pytest.mark.parametrize("table", INCREMENTAL_MODELS)
def test_the_last_daily_run_rewrote_only_its_window(builds: Builds, table: str) -> None:
    with duckdb.connect(str(builds.daily), read_only=True) as con:
        row = con.execute(
            f"select count(*), count(*) filter (processed_as_of = timestamp '{LAST_AS_OF}')"
            f" from {table}"
        ).fetchone()
    assert row is not None
    total, rewritten = row
    assert 0 < rewritten < total
    if table == "staging.stg_events__checked":
        # the day plus the 72-hour lookback, of a 50-day store
        assert rewritten < 0.25 * total, (rewritten, total)


def test_a_run_with_nothing_landed_late_rereads_no_window(builds: Builds, tmp_path: Path) -> None:
    """When nothing landed late into the lookback window since the last run, the window is
    not read again (macros/cross_db/incremental.sql): 15 minutes after the last daily run,
    with no row landed late, the events are re-read only where they must always be (no
    readable landing time), and every incremental model equals a full build as of then."""
    later = LAST_AS_OF + timedelta(minutes=15)
    incremental, full = tmp_path / "incremental.duckdb", tmp_path / "full.duckdb"
    for copy in (incremental, full):
        shutil.copyfile(builds.daily, copy)
    _run(incremental, later, INCREMENTAL_SELECTED)
    _run(full, later, INCREMENTAL_SELECTED, extra_args=("--full-refresh",))

    with duckdb.connect(str(incremental), read_only=True) as con:
        row = con.execute(
            "select count(*) filter (processed_as_of = ?), count(*) filter (received_at is null)"
            " from staging.stg_events__checked",
            [later],
        ).fetchone()
    assert row is not None
    rewritten, unreadable_landing = row
    assert rewritten == unreadable_landing
    for table in [m for m in INCREMENTAL_MODELS if m not in HISTORY_MODELS]:
        columns = "* exclude (processed_as_of)"
        expected = read_duckdb(full, f"select {columns} from {table}")
        actual = read_duckdb(incremental, f"select {columns} from {table}")
        assert len(expected.rows) > 0, table
        assert differences(expected, actual, []) == [], table


@pytest.mark.parametrize("table", FINGERPRINTED_MODELS)
def test_a_key_held_without_inputs_any_more_loses_its_rows(
    builds: Builds, tmp_path: Path, table: str
) -> None:
    """A hash-keyed model deletes the rows of a key whose inputs are gone (a basket no order
    has any more, a product without a drop) and recomputes nothing else: rows of a key that
    does not exist are planted, and a run 15 minutes later removes exactly those."""
    later = LAST_AS_OF + timedelta(minutes=15)
    warehouse = tmp_path / "nudge.duckdb"
    shutil.copyfile(builds.daily, warehouse)
    key = {
        "intermediate.int_basket_recommendations_ranked": "basket_product_ids",
        "intermediate.int_price_drops_qualified": "product_id",
    }[table]
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            f"insert into {table} select * replace ('no-such-key' as {key}) from {table} limit 2"
        )
        before = con.execute(f"select count(*) from {table}").fetchone()
    _run(warehouse, later, INCREMENTAL_SELECTED)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute(
            f"select count(*), count(*) filter ({key} = 'no-such-key'),"
            f" count(*) filter (processed_as_of = ?) from {table}",
            [later],
        ).fetchone()
    assert before is not None and row is not None
    total, planted, recomputed = row
    assert (total, planted, recomputed) == (before[0] - 2, 0, 0)


def test_a_table_built_before_its_model_was_incremental_is_recomputed_once(
    builds: Builds, tmp_path: Path
) -> None:
    """An upgrade that turns a table model incremental finds the old table without
    processed_as_of: the next run recomputes every key (and says so) instead of failing, the
    column is added and filled, and the table equals a full build; the run after that is
    incremental again."""
    table = "intermediate.int_consent_events_parsed"
    later = LAST_AS_OF + timedelta(minutes=15)
    upgraded, full = tmp_path / "upgraded.duckdb", tmp_path / "full.duckdb"
    for copy in (upgraded, full):
        shutil.copyfile(builds.daily, copy)
    with duckdb.connect(str(upgraded)) as con:
        con.execute(f"alter table {table} drop column processed_as_of")
    _run(upgraded, later, INCREMENTAL_SELECTED)
    _run(full, later, INCREMENTAL_SELECTED, extra_args=("--full-refresh",))

    log = (dbt_artifacts_dir(upgraded) / "logs" / "dbt.log").read_text(encoding="utf-8")
    said = [line for line in log.splitlines() if "no processed_as_of column" in line]
    assert len(said) == 1 and '."int_consent_events_parsed": ' in said[0], said
    columns = "* exclude (processed_as_of)"
    expected = read_duckdb(full, f"select {columns} from {table}")
    assert len(expected.rows) > 0
    assert differences(expected, read_duckdb(upgraded, f"select {columns} from {table}"), []) == []
    with duckdb.connect(str(upgraded), read_only=True) as con:
        stamps = con.execute(f"select distinct processed_as_of from {table}").fetchall()
    assert stamps == [(later,)]

    _run(upgraded, later + timedelta(minutes=15), INCREMENTAL_SELECTED)
    log = (dbt_artifacts_dir(upgraded) / "logs" / "dbt.log").read_text(encoding="utf-8")
    assert len([line for line in log.splitlines() if "no processed_as_of column" in line]) == 1


def test_a_column_missing_from_an_incremental_table_stops_the_run_naming_the_rebuild(
    builds: Builds, tmp_path: Path
) -> None:
    """A column the model writes that its incremental table lacks (a model that gained one
    since the last run) would stay null in every row the run leaves alone: the run fails
    and names the full refresh instead, and the table is left as it was."""
    table = "intermediate.int_consent_events_parsed"
    warehouse = tmp_path / "nudge.duckdb"
    shutil.copyfile(builds.daily, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"alter table {table} drop column consent_status")
        before = con.execute(f"select count(*) from {table}").fetchone()
    with pytest.raises(DbtCommandError) as failed:
        _run(warehouse, LAST_AS_OF + timedelta(minutes=15), ["int_consent_events_parsed"])
    messages = " ".join(str(r["message"]) for r in failed.value.results)
    assert "lacks the column(s) consent_status" in messages, messages
    assert "dbt build --full-refresh --select int_consent_events_parsed" in messages
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(f"select count(*) from {table}").fetchone() == before


def test_postgres_incremental_run_equals_all_at_once(
    builds: Builds, tmp_path: Path, postgres_server: PostgresServer
) -> None:
    """The replace_keys strategy on PostgreSQL: a build as of the middle of the window, then
    an incremental one as of its end after the rest of the rows landed."""
    database = postgres_server.create_database("nudge_incremental")
    pg = postgres_server.connection(database)
    dbt: dict[str, Any] = {"target": "postgres", "env": postgres_server.dbt_env(database)}
    middle = FIRST_AS_OF + timedelta(days=DAILY_RUNS // 2)
    partial = tmp_path / "partial" / "nudge.duckdb"
    partial.parent.mkdir()
    _land(builds.source, partial, None, middle)
    copy_raw_to_postgres(partial, pg)
    _run(tmp_path / "artifacts" / "nudge.duckdb", middle, INCREMENTAL_SELECTED, **dbt)
    copy_raw_to_postgres(builds.at_once, pg)
    _run(tmp_path / "artifacts" / "nudge.duckdb", LAST_AS_OF, ENGINE_SELECTED, **dbt)

    rewritten = read_postgres(
        pg,
        "select count(*) filter (where processed_as_of = timestamp"
        f" '{LAST_AS_OF}') as rewritten, count(*) as total"
        " from staging.stg_events__checked",
    ).as_dicts()[0]
    assert 0 < rewritten["rewritten"] < rewritten["total"]
    for table in ENGINE_COMPARED:
        expected = _table(builds.at_once, table)
        actual = read_postgres(pg, f"select * from {table}")
        assert differences(expected, actual, MARTS[table], TOLERANCE) == [], table


def _model_seconds(warehouse: Path) -> dict[str, float]:
    results = json.loads(
        (dbt_artifacts_dir(warehouse) / "target" / "run_results.json").read_text(encoding="utf-8")
    )
    return {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results["results"]}


def main(argv: list[str] | None = None) -> None:
    """BENCHMARKS.md: a one-day incremental build against a full build of the same store."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args(argv)
    end, day_before = LAST_AS_OF, LAST_AS_OF - timedelta(days=1)
    incremental = [name.split(".")[-1] for name in INCREMENTAL_MODELS]
    with tempfile.TemporaryDirectory(prefix="nudge-bench-incremental-") as tmp:
        source = Path(tmp) / "source" / "nudge.duckdb"
        source.parent.mkdir()
        generated = generate(source, contacts=args.contacts, seed=42, end=end, days=args.days)
        timings: dict[str, tuple[float, float]] = {}
        for name, first_as_of in (("full", None), ("incremental", day_before)):
            warehouse = Path(tmp) / name / "nudge.duckdb"
            warehouse.parent.mkdir()
            if first_as_of is not None:
                _land(source, warehouse, None, first_as_of)
                _run(warehouse, first_as_of, SELECTED)
            _land(source, warehouse, first_as_of, end)
            started = time.perf_counter()
            _run(warehouse, end, SELECTED)
            seconds = _model_seconds(warehouse)
            timings[name] = (
                time.perf_counter() - started,
                sum(seconds.get(model, 0.0) for model in incremental),
            )
        full, one_day = timings["full"], timings["incremental"]
        print(
            f"{args.contacts:,} contacts, {generated.rows['events']:,} events:"
            f" dbt run {full[0]:.1f} s full vs {one_day[0]:.1f} s one day"
            f" ({full[0] / one_day[0]:.1f}x); the {len(incremental)} incremental models"
            f" {full[1]:.1f} s vs {one_day[1]:.1f} s ({full[1] / one_day[1]:.1f}x)"
        )


if __name__ == "__main__":
    main()
