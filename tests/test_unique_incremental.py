"""The `unique_incremental` test (tests/dbt/generic/unique_incremental.sql) on an incremental
run: with NUDGE_UNIQUE_ON_WRITTEN_KEYS=1 (the trigger job) it checks the keys written in the
last unique_written_keys_hours (2) against the whole table, so a duplicate among them or
with an older row fails it, in every run of those hours; a duplicate only among older rows
is left to the full check (the hourly and daily jobs), which is dbt's `unique`."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from nudge.dbt_runner import WRITTEN_KEYS_ONLY_ENV, dbt_artifacts_dir, run_dbt
from nudge.generator import generate

pytestmark = pytest.mark.slow

FIRST = datetime(2026, 11, 1)
LATER = FIRST + timedelta(hours=6)
EVENTS = "intermediate.int_events_attributed"
EVENTS_TEST = "unique_int_events_attributed_message_id"
STAGED = "staging.stg_events__checked"
STAGED_TEST = "unique_stg_events_message_id"  # on the stg_events view, written in STAGED
# with everything upstream (seeds too): the models the unique_incremental tests are on
MODELS = [
    "+stg_events",
    "+int_site_events_sessionized",
    "+int_send_hours_preferred",
    "+int_sessions_aggregated",
    "+int_email_events_parsed",
    "+int_cart_events_parsed",
    "+int_order_events_parsed",
    "+int_coupon_events_parsed",
    "+int_page_views_parsed",
    "+int_product_sightings_priced",
    "+int_unengaged_periods_projected",
    "+int_email_engagement_summarized",
    "+int_contact_traits_coalesced",
    "+int_contact_changes_detected",
]
TESTS = 17  # one per model above and the ones they read (int_events_attributed, ...)


def _outcomes(warehouse: Path, written_keys_only: bool, as_of: datetime = LATER) -> dict[str, str]:
    """Every unique_incremental test's status, as of `as_of`."""
    result = run_dbt(
        ["test", "--select", "test_name:unique_incremental"],
        warehouse,
        dbt_vars={"as_of": str(as_of)},
        check=False,
        quiet=True,
        env={WRITTEN_KEYS_ONLY_ENV: "1" if written_keys_only else ""},
    )
    tests = [r for r in result.results if r["unique_id"].startswith("test.")]
    return {r["unique_id"].split(".")[2]: r["status"] for r in tests}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store built as of FIRST, then six more hours of events built incrementally."""
    path = tmp_path_factory.mktemp("unique") / "nudge.duckdb"
    generate(path, contacts=150, seed=11, end=FIRST, days=30)
    build = ["build", "--exclude-resource-type", "test", "unit_test", "--select", *MODELS]
    run_dbt(build, path, dbt_vars={"as_of": str(FIRST)}, quiet=True)
    with duckdb.connect(str(path)) as con:
        con.execute(
            """
            insert into raw.events by name
            select * replace (
                message_id || '~later' as message_id,
                "timestamp" + interval 6 hour as "timestamp",
                received_at + interval 6 hour as received_at
            )
            from raw.events where received_at > ? and received_at <= ?
            """,
            [FIRST - timedelta(hours=6), FIRST],
        )
    run_dbt(build, path, dbt_vars={"as_of": str(LATER)}, quiet=True)
    return path


@pytest.fixture
def scratch(warehouse: Path, tmp_path: Path) -> Path:
    """A copy of the built warehouse a test may add duplicates to."""
    copy = tmp_path / "nudge.duckdb"
    copy.write_bytes(warehouse.read_bytes())
    return copy


def _compiled(warehouse: Path, test: str) -> str:
    """The SQL dbt last ran for `test` on `warehouse`."""
    (path,) = (dbt_artifacts_dir(warehouse) / "target" / "compiled").rglob(f"{test}.sql")
    return path.read_text(encoding="utf-8")


def _copy(warehouse: Path, table: str, where: str, processed_as_of: datetime) -> None:
    """Insert a second copy of one row of `table` matching `where`, stamped as written then."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            f"insert into {table} select * replace (? as processed_as_of)"
            f" from {table} where {where} limit 1",
            [processed_as_of],
        )


def test_the_run_wrote_keys_and_both_scopes_pass_on_them(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table in (EVENTS, STAGED):
            row = con.execute(
                f"select count(*) from {table} where processed_as_of = ?", [LATER]
            ).fetchone()
            assert row and row[0] > 0, table  # else the scoped test would check nothing
    for written_keys_only in (True, False):
        outcomes = _outcomes(warehouse, written_keys_only)
        assert len(outcomes) == TESTS and set(outcomes.values()) == {"pass"}, outcomes


@pytest.mark.parametrize(
    ("table", "test", "where", "stamped"),
    [
        # two copies of a key the run wrote
        (EVENTS, EVENTS_TEST, f"processed_as_of = '{LATER}'", LATER),
        # a key the run wrote that an older row already has
        (EVENTS, EVENTS_TEST, f"processed_as_of = '{FIRST}'", LATER),
        # through a view: stg_events reads the kept rows of stg_events__checked
        (STAGED, STAGED_TEST, f"processed_as_of = '{FIRST}' and row_outcome = 'kept'", LATER),
    ],
)
def test_a_duplicate_the_run_wrote_fails_either_scope(
    scratch: Path, table: str, test: str, where: str, stamped: datetime
) -> None:
    _copy(scratch, table, where, stamped)
    assert _outcomes(scratch, written_keys_only=True)[test] == "fail"
    assert "written_key" in _compiled(scratch, test)  # the scoped query ran, not the full one
    assert _outcomes(scratch, written_keys_only=False)[test] == "fail"


def test_a_duplicate_among_older_rows_only_is_left_to_the_full_check(scratch: Path) -> None:
    _copy(scratch, EVENTS, f"processed_as_of = '{FIRST}'", FIRST)
    assert _outcomes(scratch, written_keys_only=True)[EVENTS_TEST] == "pass"
    assert _outcomes(scratch, written_keys_only=False)[EVENTS_TEST] == "fail"


def test_when_every_row_is_recent_the_scoped_test_counts_every_key(scratch: Path) -> None:
    # an hour after the full build (the rows LATER wrote are ahead of it): all recent
    soon_after = FIRST + timedelta(hours=1)
    _copy(scratch, EVENTS, f"processed_as_of = '{FIRST}'", FIRST)
    assert _outcomes(scratch, True, as_of=soon_after)[EVENTS_TEST] == "fail"
    assert "written_key" not in _compiled(scratch, EVENTS_TEST)  # dbt's own unique ran


def test_a_duplicate_written_stays_in_the_scoped_check_for_its_hours(scratch: Path) -> None:
    _copy(scratch, EVENTS, f"processed_as_of = '{LATER}'", LATER)
    # the next trigger runs, with nothing new written, still see it within the two hours
    an_hour_later = _outcomes(scratch, written_keys_only=True, as_of=LATER + timedelta(hours=1))
    assert an_hour_later[EVENTS_TEST] == "fail"
    # past them, the hourly job's full check reports it
    later_still = LATER + timedelta(hours=3)
    assert _outcomes(scratch, written_keys_only=True, as_of=later_still)[EVENTS_TEST] == "pass"
    assert _outcomes(scratch, written_keys_only=False, as_of=later_still)[EVENTS_TEST] == "fail"
