"""Replays never touch live state (README "Replays"): `nudge build --as-of <past>` builds a
copy of the warehouse and leaves the live one as it was; activation refuses to sync from a
model whose newest build was a replay (a replay built into the live file by plain dbt), in
the CLI and in Dagster, until a live build; segment_transitions takes nothing from an
earlier as_of; the build stamps and the decision rules themselves."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, Failure
from typer.testing import CliRunner

from activation.build_stamps import (
    REPLAY_TOLERANCE_ENV,
    ReplayBuildError,
    latest_build,
    record_build_stamp,
    replay_tolerance,
    require_live_build,
)
from activation.destinations.klaviyo.sandbox import SandboxHandle, start_sandbox
from activation.errors import ConfigurationError
from activation.state import utcnow
from activation.warehouse import Warehouse
from nudge import build_command
from nudge.cli import app
from nudge.dbt_runner import parse_manifest, run_dbt
from nudge.replay import (
    ReplayRefused,
    copy_sources,
    dbt_sources,
    default_replay_path,
    plan_build,
)
from orchestration.assets.replays import require_live_as_of
from orchestration.jobs import DBT_OP, HOURLY_JOB
from tests.fixtures.segment_rows import AS_OF, LEAVES_AT, write_segment_rows

API_KEY = "pk_replays_never_logged_4b1d"
SYNC_MODEL = "syncs.sync_klaviyo_subscribers"
LIST_NAME = "Nudge — Subscribers"
# what a replay must leave exactly as it was in the live warehouse
LIVE_TABLES = (
    "contacts.contact_profiles",
    "contacts.contact_rfm",
    "segments.segment_memberships",
    "segments.segment_transitions",
    "triggers.triggered_sends",
    SYNC_MODEL,
    "nudge_meta.model_builds",
)
NOW = datetime(2026, 12, 4, 12, 0)
TEN_MINUTES = timedelta(minutes=10)


def nudge(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def rows(warehouse: Path, relation_or_query: str) -> list[tuple[Any, ...]]:
    """Every row of a relation, or of a query, sorted."""
    query = relation_or_query
    if " " not in query:
        query = f"select * from {query}"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"{query} order by all").fetchall()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------ end to end, generated store


@dataclass
class Store:
    live: Path
    past: datetime
    before: dict[str, list[tuple[Any, ...]]]
    digest_before: str
    replay_exit: int
    replay_output: str
    dagster_home: Path  # where both builds were recorded (orchestration/recorded_runs.py)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    from activation.sends.ledger import ensure_ledger

    live = tmp_path_factory.mktemp("replays") / "nudge.duckdb"
    code, output = nudge("generate", "--contacts", "150", "--days", "120", "--warehouse", str(live))
    assert code == 0, output
    with Warehouse(live) as warehouse:
        ensure_ledger(warehouse)  # dbt reads it (stg_send_ledger); the replay copies it
    dagster_home = live.parent / "dagster_home"
    recorded = {"NUDGE_DAGSTER_RECORD": "true", "DAGSTER_HOME": str(dagster_home)}
    code, output = nudge("build", "--warehouse", str(live), env=recorded)
    assert code == 0, output
    before = {table: rows(live, table) for table in LIVE_TABLES}
    assert all(before[table] for table in LIVE_TABLES)
    digest_before = digest(live)
    past = (utcnow() - timedelta(days=30)).replace(hour=0, minute=0, second=0, microsecond=0)
    code, output = nudge("build", "--as-of", str(past), "--warehouse", str(live), env=recorded)
    return Store(live, past, before, digest_before, code, output, dagster_home)


@pytest.mark.slow
def test_a_past_build_goes_to_a_replay_copy_and_leaves_the_live_warehouse_alone(
    store: Store,
) -> None:
    assert store.replay_exit == 0, store.replay_output
    assert digest(store.live) == store.digest_before  # not a byte written
    for table in LIVE_TABLES:
        assert rows(store.live, table) == store.before[table], table

    replay = default_replay_path(store.live, store.past)
    printed = " ".join(store.replay_output.split())  # rich wraps long paths
    assert str(replay) in printed
    assert f"nudge query --warehouse {replay}" in printed
    builds = rows(replay, "select distinct as_of from nudge_meta.model_builds")
    assert builds == [(store.past,)]
    assert rows(replay, f"select * from nudge_meta.model_builds where relation = '{SYNC_MODEL}'")
    # the past as the replay saw it: no raw row that landed later, transitions at as_of only
    (landed,) = rows(replay, "select max(received_at) from staging.stg_events")[0]
    assert landed <= store.past
    assert rows(replay, "select distinct transitioned_at from segments.segment_transitions") == [
        (store.past,)
    ]
    assert rows(replay, "select count(*) from activation.send_ledger") == [(0,)]
    with Warehouse(replay) as warehouse, pytest.raises(ReplayBuildError, match="replay"):
        require_live_build(warehouse, SYNC_MODEL)


@pytest.mark.slow
def test_the_live_build_is_recorded_in_dagster_and_the_replay_is_not(store: Store) -> None:
    """What `nudge build` built shows in the Dagster UI: a materialization per dbt model and
    seed under the code location's keys, with its row count and dbt status, and every dbt
    data test's result as its asset check; the replay, built elsewhere, adds nothing."""
    from orchestration.assets.dbt import nudge_dbt_models
    from orchestration.recorded_runs import queue_is_empty

    deadline = time.monotonic() + 300
    while not queue_is_empty(store.dagster_home):  # the writer works in the background
        assert time.monotonic() < deadline, "the Dagster writer did not finish"
        time.sleep(1)
    rfm = AssetKey(["contacts", "contact_rfm"])
    with DagsterInstance.from_config(str(store.dagster_home)) as instance:
        materialized = set(instance.get_asset_keys())
        (record,) = instance.fetch_materializations(rfm, limit=5).records
        checks = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            list(nudge_dbt_models.check_keys)
        )
    assert materialized == set(nudge_dbt_models.keys)
    assert record.asset_materialization is not None
    metadata = {name: value.value for name, value in record.asset_materialization.metadata.items()}
    (count,) = rows(store.live, "select count(*) from contacts.contact_rfm")[0]
    assert metadata["dagster/row_count"] == count > 0
    assert metadata["status"] == "success" and metadata["as_of"] == "now"
    assert metadata["nudge/command"] == "nudge build"
    assert set(checks) == set(nudge_dbt_models.check_keys)
    assert {check.status.value for check in checks.values()} == {"SUCCEEDED"}


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    with start_sandbox(API_KEY, engagement=None) as handle:
        yield handle


@pytest.mark.slow
def test_a_replay_built_into_the_live_file_is_refused_until_a_live_build(
    store: Store, sandbox: SandboxHandle
) -> None:
    env = {
        "KLAVIYO_API_KEY": API_KEY,
        "KLAVIYO_BASE_URL": sandbox.base_url,
        "NUDGE_WAREHOUSE": str(store.live),
    }
    # a user bypassing `nudge build`: plain dbt, as of a month ago, into the live file
    run_dbt(
        ["build", "--select", "sync_klaviyo_subscribers"],
        store.live,
        dbt_vars={"as_of": str(store.past)},
        quiet=True,
    )
    for dry_run in (("--dry-run",), ()):
        code, output = nudge("sync", "klaviyo_subscribers", *dry_run, env=env)
        assert code == 2, output
        message = " ".join(output.split())
        assert f"ReplayBuildError: {SYNC_MODEL} was last built as of {store.past:%Y-%m-%d}" in (
            message
        )
        assert "`nudge build`" in message
    assert sandbox.requests() == []

    failure = _dagster_failure("sync_klaviyo_subscribers_job", env)
    assert f"{SYNC_MODEL} was last built as of {store.past:%Y-%m-%d %H:%M}" in failure
    # and Dagster's dbt asset will not build a replay into the live warehouse either
    stamps = rows(store.live, "nudge_meta.model_builds")
    config = {"ops": {DBT_OP: {"config": {"as_of": str(store.past)}}}}
    failure = _dagster_failure(HOURLY_JOB, env, config)
    assert f'`nudge build --as-of "{store.past}"`' in failure
    assert rows(store.live, "nudge_meta.model_builds") == stamps

    run_dbt(["build", "--select", "sync_klaviyo_subscribers"], store.live, quiet=True)
    code, output = nudge("sync", "klaviyo_subscribers", env=env)
    assert code == 0, output
    audience = {row[0].lower() for row in rows(store.live, f"select email from {SYNC_MODEL}")}
    members = {member["email"].lower() for member in sandbox.list_members(LIST_NAME)}
    assert members == audience


def _dagster_failure(job: str, env: dict[str, str], run_config: Any = None) -> str:
    """Run a job in-process; the description of its one failed step's Failure."""
    from orchestration.definitions import defs

    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        result = defs.resolve_job_def(job).execute_in_process(
            run_config=run_config, instance=DagsterInstance.ephemeral(), raise_on_error=False
        )
    assert not result.success
    (event,) = result.get_step_failure_events()
    failure = event.step_failure_data
    assert failure.error is not None and failure.error.cls_name == "Failure"
    assert failure.user_failure_data is not None
    return str(failure.user_failure_data.description)


# ------------------------------------------------------------------ segment_transitions


@pytest.mark.slow
def test_segment_transitions_take_nothing_from_an_earlier_as_of(tmp_path: Path) -> None:
    warehouse = tmp_path / "nudge.duckdb"
    write_segment_rows(warehouse)
    select = ["build", "--select", "+segment_transitions", "--exclude-resource-type", "test"]
    select += ["--exclude-resource-type", "unit_test"]
    run_dbt(select, warehouse, dbt_vars={"as_of": str(LEAVES_AT)}, quiet=True)
    later = rows(warehouse, "segments.segment_transitions")
    assert later and {row[4] for row in later} == {LEAVES_AT}
    # seg_app is an app user as of AS_OF, 30 minutes earlier, and has no history yet
    run_dbt(select, warehouse, dbt_vars={"as_of": str(AS_OF)}, quiet=True)
    members = rows(warehouse, "select contact_id from segments.segment_memberships")
    assert ("seg_app",) in members
    assert rows(warehouse, "segments.segment_transitions") == later


# ------------------------------------------------------------------ nudge build's decision


def test_a_past_as_of_on_another_engine_is_refused_without_building(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_dbt(*args: object, **kwargs: object) -> None:
        raise AssertionError("dbt must not run")

    monkeypatch.setattr(build_command, "run_dbt", no_dbt)
    monkeypatch.setattr(build_command, "parse_manifest", no_dbt)
    live = tmp_path / "nudge.duckdb"
    code, output = nudge(
        "build",
        "--as-of",
        "2026-11-01",
        "--warehouse",
        str(live),
        env={"NUDGE_DBT_TARGET": "postgres"},
    )
    message = " ".join(output.split())
    assert code == 2, output
    assert "refusing to build as of 2026-11-01 00:00:00 on the postgres target" in message
    assert "NUDGE_PG_DATABASE" in message and "Traceback" not in output
    assert not live.exists()


def test_plan_build_keeps_replays_off_the_live_warehouse(tmp_path: Path) -> None:
    live = tmp_path / "nudge.duckdb"

    def plan(as_of: datetime | None, into: Path | None = None, target: str = "duckdb") -> Any:
        return plan_build(live, as_of, into, target=target, now=NOW, tolerance=TEN_MINUTES)

    for as_of in (None, NOW - timedelta(minutes=9), NOW + timedelta(days=3)):
        assert plan(as_of) == plan(as_of, target="spark")
        assert (plan(as_of).warehouse, plan(as_of).replay) == (live, False)
    past = NOW - timedelta(minutes=11)
    assert (plan(past).warehouse, plan(past).replay) == (
        tmp_path / "replays" / "nudge_as_of_20261204T114900.duckdb",
        True,
    )
    assert plan(past, tmp_path / "x.duckdb").warehouse == tmp_path / "x.duckdb"
    with pytest.raises(ReplayRefused, match="is the live warehouse"):
        plan(past, live)
    with pytest.raises(ReplayRefused, match="--into is for replays"):
        plan(None, tmp_path / "x.duckdb")
    with pytest.raises(ReplayRefused, match="NUDGE_SPARK_DIR"):
        plan(past, target="spark")


def test_the_copy_holds_the_sources_and_never_writes_the_live_file(tmp_path: Path) -> None:
    live, replay = tmp_path / "nudge.duckdb", tmp_path / "replays" / "r.duckdb"
    with duckdb.connect(str(live)) as con:
        for schema in ("raw", "activation", "syncs"):
            con.execute(f"create schema {schema}")
        con.execute("create table raw.events as select range as id from range(5)")
        con.execute("create table activation.send_ledger as select 'k' as send_key")
        con.execute("create table syncs.sync_x as select 1 as id")
    before = digest(live)
    sources = [("raw", "events"), ("raw", "identifies"), ("activation", "send_ledger")]
    assert copy_sources(live, replay, sources, NOW) == {
        "raw.events": 5,
        "activation.send_ledger": 1,
    }
    assert digest(live) == before
    assert rows(replay, "raw.events") == [(i,) for i in range(5)]
    assert rows(replay, "select table_schema, table_name from information_schema.tables") == [
        ("activation", "send_ledger"),
        ("nudge_meta", "replay_source"),
        ("raw", "events"),
    ]
    # again: the previous copy is replaced; a file that is not a replay copy never is
    assert copy_sources(live, replay, sources, NOW)["raw.events"] == 5
    with pytest.raises(ReplayRefused, match="is not a replay copy"):
        copy_sources(replay, live, sources, NOW)
    assert digest(live) == before


def test_the_copy_takes_every_source_dbt_reads(tmp_path: Path) -> None:
    sources = dbt_sources(parse_manifest(tmp_path / "nudge.duckdb"))
    assert {("raw", "events"), ("raw", "identifies"), ("raw", "product_catalog")} <= set(sources)
    assert ("activation", "send_ledger") in sources


def test_the_dagster_dbt_asset_refuses_a_replay_as_of(monkeypatch: pytest.MonkeyPatch) -> None:
    require_live_as_of("")
    require_live_as_of(str(utcnow() + timedelta(hours=1)))
    with pytest.raises(Failure) as refused:
        require_live_as_of("2026-11-01 00:00:00")
    assert refused.value.description is not None
    assert "a replay" in refused.value.description
    assert '`nudge build --as-of "2026-11-01 00:00:00"`' in refused.value.description
    with pytest.raises(Failure, match="is not an instant"):
        require_live_as_of("yesterday")
    monkeypatch.setenv(REPLAY_TOLERANCE_ENV, "ten")
    with pytest.raises(Failure, match=REPLAY_TOLERANCE_ENV):
        require_live_as_of(str(utcnow()))


def test_the_dagster_dbt_asset_refuses_a_past_as_of_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """dbt reads NUDGE_AS_OF when no as_of var is given (macros/cross_db/as_of.sql), and the
    asset's dbt inherits Dagster's environment: one left exported from a replay (README:
    `NUDGE_AS_OF="…" dbt build`) would make every scheduled build a replay of the live
    warehouse."""
    monkeypatch.setenv("NUDGE_AS_OF", "2026-11-01 00:00:00")
    with pytest.raises(Failure, match=r"NUDGE_AS_OF 2026-11-01 00:00:00 .* a replay"):
        require_live_as_of("")
    require_live_as_of(str(utcnow()))  # the config's as_of wins over it, as in dbt


# ------------------------------------------------------------------ build stamps


def test_replay_tolerance_comes_from_the_environment() -> None:
    assert replay_tolerance({}) == TEN_MINUTES
    assert replay_tolerance({REPLAY_TOLERANCE_ENV: " 90 "}) == timedelta(minutes=90)
    assert replay_tolerance({REPLAY_TOLERANCE_ENV: "0"}) == timedelta(0)
    for bad in ("ten", "-5", "nan", "inf"):
        with pytest.raises(ConfigurationError, match=REPLAY_TOLERANCE_ENV):
            replay_tolerance({REPLAY_TOLERANCE_ENV: bad})


@pytest.fixture
def stamped(tmp_path: Path) -> Iterator[Warehouse]:
    with Warehouse(tmp_path / "nudge.duckdb") as warehouse:
        yield warehouse


def test_require_live_build_without_a_stamp(stamped: Warehouse) -> None:
    with pytest.raises(ReplayBuildError, match=r"no build record for syncs\.x .*`nudge build`"):
        require_live_build(stamped, "syncs.x")
    record_build_stamp(stamped, "syncs.other", NOW, built_at=NOW)
    with pytest.raises(ReplayBuildError, match=r"no build record for syncs\.x"):
        require_live_build(stamped, "syncs.x")


def test_require_live_build_takes_the_newest_stamp(stamped: Warehouse) -> None:
    record_build_stamp(stamped, "syncs.x", NOW - timedelta(minutes=5), built_at=NOW)
    stamp = require_live_build(stamped, "syncs.x")
    assert (stamp.as_of, stamp.built_at) == (NOW - timedelta(minutes=5), NOW)
    assert not stamp.is_replay

    later = NOW + timedelta(hours=1)
    record_build_stamp(stamped, "syncs.x", datetime(2026, 11, 1), built_at=later)
    with pytest.raises(ReplayBuildError) as refused:
        require_live_build(stamped, "syncs.x")
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(
        "syncs.x was last built as of 2026-11-01 00:00 UTC at 2026-12-04 13:00 UTC, a replay "
        "34 days in the past"
    )
    assert "`nudge build`" in message and REPLAY_TOLERANCE_ENV in message

    record_build_stamp(stamped, "syncs.x", later, built_at=later + timedelta(minutes=1))
    assert require_live_build(stamped, "syncs.x").as_of == later
    # two builds in the same second: the replay wins
    record_build_stamp(stamped, "syncs.x", NOW, built_at=later + timedelta(minutes=1))
    with pytest.raises(ReplayBuildError, match="a replay"):
        require_live_build(stamped, "syncs.x")


def test_the_tolerance_decides_what_is_a_replay(
    stamped: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_build_stamp(stamped, "syncs.x", NOW - timedelta(minutes=20), built_at=NOW)
    with pytest.raises(ReplayBuildError, match=r"a replay 0\.3 hours in the past"):
        require_live_build(stamped, "syncs.x")
    monkeypatch.setenv(REPLAY_TOLERANCE_ENV, "30")
    assert require_live_build(stamped, "syncs.x").built_at == NOW
    monkeypatch.setenv(REPLAY_TOLERANCE_ENV, "-1")
    with pytest.raises(ConfigurationError, match=REPLAY_TOLERANCE_ENV):
        latest_build(stamped, "syncs.x")
