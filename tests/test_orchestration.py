"""The Dagster code location without a dbt build: assets grouped by folder, dbt tests as
checks, one asset per declared sync, jobs, schedules and the new-raw-data sensor."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetCheckKey,
    AssetCheckSeverity,
    AssetKey,
    DagsterInstance,
    DagsterRunStatus,
    RunRequest,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
    instance_for_test,
)
from dagster._core.events import DagsterEvent, DagsterEventType

import orchestration
from activation.errors import ConfigurationError
from activation.state import RUNS_TABLE
from activation.warehouse import DuckDBWarehouse
from nudge.generator import generate
from nudge.raw_contract import create_table_sql
from orchestration.assets.predictions import PREDICTIONS_KEY
from orchestration.assets.raw import freshness_result
from orchestration.assets.segment_catalog import SEGMENT_CATALOG_KEY
from orchestration.assets.syncs import FAILED_SHARE_CHECK, failed_share_check
from orchestration.definitions import defs, sources
from orchestration.jobs import DAILY_JOB, HOURLY_JOB, TRIGGER_JOB, WAREHOUSE_TAG
from orchestration.raw_sources import newest_loaded_at
from orchestration.resources import WarehouseResource
from orchestration.settings import orchestration_settings
from orchestration.translator import GROUP_ORDER, group_for_node
from tests.fixtures.held_warehouse import held_by_another_process

pytestmark = pytest.mark.slow

RAW = [AssetKey(["raw", name]) for name in ("events", "identifies", "product_catalog")]
RFM = AssetKey(["contacts", "contact_rfm"])
SYNC = AssetKey(["klaviyo", "klaviyo_subscribers"])
SYNC_JOB = "sync_klaviyo_subscribers_job"
SENDS = AssetKey(["klaviyo", "triggered_sends"])
PULL = AssetKey(["klaviyo", "feedback_pull"])


def groups() -> dict[str, str | None]:
    repository = defs.get_repository_def()
    return {
        spec.key.to_user_string(): spec.group_name
        for assets in repository.assets_defs_by_key.values()
        for spec in assets.specs
    }


def job_assets(name: str) -> set[str]:
    job = defs.resolve_job_def(name)
    return {key.to_user_string() for key in job.asset_layer.executable_asset_keys}


def test_assets_are_grouped_by_folder() -> None:
    by_key = groups()
    assert by_key["staging/stg_events"] == "staging"
    assert by_key["intermediate/int_orders_netted"] == "intermediate"
    assert by_key["contacts/contact_profiles"] == by_key["contacts/contact_rfm"] == "contacts"
    assert by_key["segments/segment_memberships"] == "segments"
    assert by_key["segments/segment_transitions"] == by_key["segments/segment_high_value"]
    assert by_key["triggers/triggered_sends"] == by_key["triggers/trigger_welcome"] == "triggers"
    assert by_key["performance/flow_performance"] == "performance"
    assert by_key["syncs/sync_klaviyo_subscribers"] == "syncs"
    assert by_key["reference/rfm_segment_map"] == "reference"
    assert {by_key[f"raw/{table}"] for table in ("events", "identifies", "product_catalog")} == {
        "raw"
    }
    assert by_key["klaviyo/feedback_pull"] == "raw"
    assert by_key["klaviyo/klaviyo_subscribers"] == "activation"
    assert by_key["klaviyo/triggered_sends"] == "activation"
    assert by_key["activation/send_ledger"] == "activation_state"


def test_groups_read_left_to_right() -> None:
    """No asset reads one of a later group, so the collapsed graph flows one way."""
    graph = defs.get_repository_def().asset_graph
    position = {group: index for index, group in enumerate(GROUP_ORDER)}
    assert set(groups().values()) <= set(position), "a group missing from GROUP_ORDER"
    backwards = sorted(
        f"{graph.get(key).group_name}: {key.to_user_string()} reads "
        f"{graph.get(parent).group_name}: {parent.to_user_string()}"
        for key in graph.get_all_asset_keys()
        for parent in graph.get(key).parent_keys
        if position[graph.get(parent).group_name or ""] > position[graph.get(key).group_name or ""]
    )
    assert backwards == []
    # the intermediate models the performance marts read, which read triggered_sends
    assert groups()["intermediate/int_sends_engagement_summarized"] == "performance"


def test_group_for_node_follows_the_folder() -> None:
    assert group_for_node({"resource_type": "source", "fqn": ["nudge", "raw", "events"]}) == "raw"
    model = {"resource_type": "model", "fqn": ["nudge", "marts", "contacts", "contact_rfm"]}
    assert group_for_node(model) == "contacts"
    nested = {"resource_type": "model", "fqn": ["nudge", "marts", "triggers", "definitions", "t"]}
    assert group_for_node(nested) == "triggers"
    staging = {"resource_type": "model", "fqn": ["nudge", "staging", "stg_events"]}
    assert group_for_node(staging) == "staging"
    feeding_a_mart = ["nudge", "intermediate", "performance", "int_sends_engagement_summarized"]
    assert group_for_node({"resource_type": "model", "fqn": feeding_a_mart}) == "performance"
    identity = ["nudge", "intermediate", "identity", "int_events_attributed"]
    assert group_for_node({"resource_type": "model", "fqn": identity}) == "intermediate"


def test_lineage_runs_raw_to_models_to_sync() -> None:
    graph = defs.get_repository_def().asset_graph
    sync_model = AssetKey(["syncs", "sync_klaviyo_subscribers"])
    assert graph.get(SYNC).parent_keys == {sync_model}
    assert RFM in graph.get_ancestor_asset_keys(sync_model)
    assert set(RAW) <= graph.get_ancestor_asset_keys(SYNC)
    assert graph.get(SYNC).kinds == {"klaviyo"}
    # ESP feedback lands in raw.events; the due sends leave from triggered_sends
    assert graph.get(AssetKey(["raw", "events"])).parent_keys == {PULL}
    assert graph.get(SENDS).parent_keys == {AssetKey(["triggers", "triggered_sends"])}
    # dbt reads the predictions table after the asset that fits and writes it
    predictions_model = AssetKey(["intermediate", "int_contact_predictions_typed"])
    assert graph.get(predictions_model).parent_keys == {PREDICTIONS_KEY}
    assert graph.get(SEGMENT_CATALOG_KEY).group_name == "segments"


def test_dbt_tests_sync_share_and_raw_freshness_are_checks() -> None:
    checks = set(defs.get_repository_def().asset_graph.asset_check_keys)
    assert AssetCheckKey(RFM, "unique_contact_rfm_contact_id") in checks
    assert AssetCheckKey(SYNC, FAILED_SHARE_CHECK) in checks
    assert {AssetCheckKey(key, "freshness") for key in RAW} <= checks
    # every dbt data test on a model is a check: far more checks than assets
    assert len(checks) > 150


def readable_check_name(check: AssetCheckKey) -> bool:
    """Lowercase words joined by single underscores, at most 80 characters; a double
    underscore only inside the checked model's own name (stg_events__checked). dbt names a
    generic test after its arguments, joining their values with `__`
    (accepted_values_triggered_sends_status__scheduled__due__sent…): such a test gets a
    `name:` of its own in the yml."""
    name = check.name.replace(check.asset_key.path[-1], "model")
    return len(check.name) <= 80 and re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", name) is not None


def test_every_check_name_is_readable() -> None:
    checks = defs.get_repository_def().asset_graph.asset_check_keys
    assert [check.name for check in checks if not readable_check_name(check)] == []
    rfm = AssetCheckKey(RFM, "accepted_values_contact_rfm_rfm_segment")
    assert rfm in checks and readable_check_name(rfm)
    generated = "accepted_values_contact_rfm_r_score__False__1__2__3__4__5"
    assert not readable_check_name(AssetCheckKey(RFM, generated))
    assert readable_check_name(
        AssetCheckKey(
            AssetKey(["staging", "stg_events__checked"]), "unique_stg_events__checked_message_id"
        )
    )


def test_jobs_select_what_they_refresh() -> None:
    trigger, hourly, daily = job_assets(TRIGGER_JOB), job_assets(HOURLY_JOB), job_assets(DAILY_JOB)
    assert {
        "klaviyo/feedback_pull",
        "staging/stg_events",
        "intermediate/int_orders_netted",
        "segments/segment_transitions",
        "triggers/triggered_sends",
        "klaviyo/triggered_sends",
    } <= trigger
    assert "klaviyo/klaviyo_subscribers" not in trigger
    assert "syncs/sync_klaviyo_subscribers" not in trigger
    assert {"contacts/contact_rfm", "segments/segment_memberships"} <= daily
    assert "klaviyo/klaviyo_subscribers" in daily and "klaviyo/triggered_sends" not in daily
    assert trigger | daily <= hourly
    checks = defs.resolve_job_def(HOURLY_JOB).asset_layer.asset_graph.asset_check_keys
    assert {AssetCheckKey(key, "freshness") for key in RAW} <= set(checks)
    daily_config = defs.resolve_job_def(DAILY_JOB).run_config
    assert daily_config == {"ops": {"nudge_dbt_models": {"config": {"full_refresh": True}}}}
    for name in (TRIGGER_JOB, HOURLY_JOB, DAILY_JOB):
        job = defs.resolve_job_def(name)
        assert job.tags[WAREHOUSE_TAG] == "write"
        # steps of a run never open the DuckDB file at the same time
        executor = job.executor_def.config_schema.resolve_config({}).value  # type: ignore[attr-defined]
        assert executor["config"]["max_concurrent"] == 1


def test_the_instance_queues_warehouse_runs_one_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`nudge dagster` (and `make dagster`) installs orchestration/dagster.yaml in
    DAGSTER_HOME, and leaves a user's own settings alone."""
    from orchestration.instance import install_dagster_instance

    home = tmp_path / "dagster_home"
    install_dagster_instance(home)
    assert (home / "dagster.yaml").read_text() == (
        Path(orchestration.__file__).parent / "dagster.yaml"
    ).read_text()
    own = tmp_path / "own"
    own.mkdir()
    (own / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    install_dagster_instance(own)
    assert (own / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with DagsterInstance.get() as configured:
        queue = configured.get_concurrency_config().run_queue_config
    assert queue is not None
    assert queue.tag_concurrency_limits == [{"key": WAREHOUSE_TAG, "limit": 1}]


def test_settings_from_environment() -> None:
    assert orchestration_settings({}).trigger_cron == "*/15 * * * *"
    assert orchestration_settings({"NUDGE_TRIGGER_INTERVAL_MINUTES": "5"}).trigger_cron == (
        "*/5 * * * *"
    )
    assert orchestration_settings({"NUDGE_TRIGGER_INTERVAL_MINUTES": "120"}).trigger_cron == (
        "0 */2 * * *"
    )
    with pytest.raises(ConfigurationError, match="NUDGE_TRIGGER_INTERVAL_MINUTES=7"):
        orchestration_settings({"NUDGE_TRIGGER_INTERVAL_MINUTES": "7"})
    with pytest.raises(ConfigurationError, match="NUDGE_SYNC_MAX_FAILED_SHARE"):
        orchestration_settings({"NUDGE_SYNC_MAX_FAILED_SHARE": "lots"})


# ------------------------------------------------------------------ schedules, sensor


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with instance_for_test() as test_instance:  # a temporary on-disk instance (run storage)
        yield test_instance


def start_run(instance: DagsterInstance, job: str) -> str:
    """A run of `job` that has started and not finished."""
    run = instance.create_run_for_job(defs.resolve_job_def(job), tags={WAREHOUSE_TAG: "write"})
    event = DagsterEvent(DagsterEventType.RUN_START.value, job_name=job)
    instance.report_dagster_event(event, run_id=run.run_id)
    started = instance.get_run_by_id(run.run_id)
    assert started is not None and started.status == DagsterRunStatus.STARTED
    return run.run_id


def finish_run(instance: DagsterInstance, run_id: str) -> None:
    run = instance.get_run_by_id(run_id)
    assert run is not None
    instance.report_run_failed(run)


def evaluate_schedule(name: str, instance: DagsterInstance) -> RunRequest | SkipReason:
    context = build_schedule_context(
        instance=instance, scheduled_execution_time=datetime(2026, 11, 1, 3, 37, tzinfo=UTC)
    )
    result = defs.resolve_schedule_def(name).evaluate_tick(context)
    if result.run_requests:
        (request,) = result.run_requests
        return request
    return SkipReason(result.skip_message)


def test_schedules_tick_on_their_crons() -> None:
    crons = {s.name: s.cron_schedule for s in defs.get_repository_def().schedule_defs}
    assert crons == {
        "trigger_schedule": "*/15 * * * *",
        "hourly_build_schedule": "7 * * * *",
        "daily_full_refresh_schedule": "37 3 * * *",
        "sync_klaviyo_subscribers_schedule": "*/30 * * * *",  # the exposure's own schedule
    }
    jobs = {s.name: s.job_name for s in defs.get_repository_def().schedule_defs}
    assert jobs["trigger_schedule"] == TRIGGER_JOB
    assert jobs["daily_full_refresh_schedule"] == DAILY_JOB


def test_schedules_skip_while_a_warehouse_run_is_unfinished(instance: DagsterInstance) -> None:
    for name in ("trigger_schedule", "hourly_build_schedule", "daily_full_refresh_schedule"):
        assert isinstance(evaluate_schedule(name, instance), RunRequest)
    run_id = start_run(instance, SYNC_JOB)  # any job writing the warehouse blocks every other
    for name in ("trigger_schedule", "hourly_build_schedule", "daily_full_refresh_schedule"):
        outcome = evaluate_schedule(name, instance)
        assert isinstance(outcome, SkipReason)
        assert SYNC_JOB in (outcome.skip_message or "")
    finish_run(instance, run_id)
    assert isinstance(evaluate_schedule("trigger_schedule", instance), RunRequest)


def test_sensor_starts_the_trigger_job_when_raw_rows_land(
    warehouse: Path, instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUDGE_WAREHOUSE", str(warehouse))
    sensor = defs.resolve_sensor_def("raw_data_sensor")
    assert sensor.job_name == TRIGGER_JOB

    def tick(cursor: str | None) -> tuple[list[RunRequest], str | None, str | None]:
        context = build_sensor_context(
            instance=instance, cursor=cursor, resources={"warehouse": WarehouseResource()}
        )
        result = sensor.evaluate_tick(context)
        return list(result.run_requests or []), result.cursor, result.skip_message

    generate(warehouse, contacts=40, seed=5, end=datetime(2026, 11, 1), days=20)
    requests, cursor, _ = tick(None)
    assert len(requests) == 1 and cursor
    assert requests[0].tags["nudge/new_raw_data"] == "raw/events,raw/identifies,raw/product_catalog"

    requests, same_cursor, skipped = tick(cursor)
    assert requests == [] and same_cursor in (None, cursor)
    assert skipped == "no raw table received new rows"

    later = datetime(2026, 11, 1, 0, 5)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into raw.events select * replace (message_id || '-late' as message_id, "
            "? as received_at) from raw.events limit 1",
            [later],
        )
    requests, new_cursor, _ = tick(cursor)
    assert len(requests) == 1 and requests[0].tags["nudge/new_raw_data"] == "raw/events"
    assert new_cursor != cursor and later.isoformat() in (new_cursor or "")

    # a warehouse run in progress: skip, and keep the cursor so the data is picked up later
    start_run(instance, SYNC_JOB)
    requests, kept, skipped = tick(cursor)
    assert requests == [] and kept in (None, cursor) and SYNC_JOB in (skipped or "")


def test_sensor_skips_while_another_process_writes_the_warehouse(
    warehouse: Path, instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUDGE_WAREHOUSE", str(warehouse))
    generate(warehouse, contacts=5, seed=5, end=datetime(2026, 11, 1), days=3)
    with held_by_another_process(warehouse):
        context = build_sensor_context(
            instance=instance, cursor=None, resources={"warehouse": WarehouseResource()}
        )
        result = defs.resolve_sensor_def("raw_data_sensor").evaluate_tick(context)
    assert list(result.run_requests or []) == [] and result.cursor is None
    assert result.skip_message == f"{warehouse} is locked by another process; will look again"


# ------------------------------------------------------------------ the checks' rules


def test_raw_freshness_follows_dbt_source_freshness() -> None:
    (events,) = [source for source in sources if source.key == RAW[0]]
    assert (events.warn_after, events.error_after) == (timedelta(hours=24), timedelta(hours=72))
    now = datetime(2026, 11, 2, 12)
    fresh = freshness_result(events, now - timedelta(hours=2), 10, now)
    stale = freshness_result(events, now - timedelta(hours=30), 10, now)
    dead = freshness_result(events, now - timedelta(days=4), 10, now)
    empty = freshness_result(events, None, 0, now)
    assert fresh.passed and fresh.metadata["lag_hours"].value == 2.0
    assert (stale.passed, stale.severity) == (False, AssetCheckSeverity.WARN)
    assert (dead.passed, dead.severity) == (False, AssetCheckSeverity.ERROR)
    assert (empty.passed, empty.severity) == (False, AssetCheckSeverity.ERROR)


def test_a_row_stamped_in_the_future_does_not_make_a_stalled_table_fresh(
    tmp_path: Path,
) -> None:
    (events,) = [source for source in sources if source.key == RAW[0]]
    now = datetime(2026, 11, 2, 12)
    with DuckDBWarehouse(tmp_path / "w.duckdb") as warehouse:
        assert newest_loaded_at(warehouse, events, now) == (None, 0)
        warehouse.execute("create schema raw")
        warehouse.execute(create_table_sql("events"))
        for message_id, received_at in (
            ("old", now - timedelta(days=4)),
            ("skewed", now.replace(year=2027)),
        ):
            warehouse.execute(
                "insert into raw.events (message_id, received_at) values (?, ?)",
                [message_id, received_at],
            )
        newest, rows = newest_loaded_at(warehouse, events, now)
    assert (newest, rows) == (now - timedelta(days=4), 2)
    dead = freshness_result(events, newest, rows, now)
    assert (dead.passed, dead.severity) == (False, AssetCheckSeverity.ERROR)


def test_failed_share_check_reads_sync_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "w.duckdb"
    monkeypatch.setenv("NUDGE_WAREHOUSE", str(path))
    with duckdb.connect(str(path)) as con:
        con.execute("create schema activation")
        con.execute(
            f"create table {RUNS_TABLE} (run_id varchar, failed integer, added integer, "
            "changed integer, removed integer, retried integer)"
        )
        con.execute(f"insert into {RUNS_TABLE} values ('ok', 5, 90, 10, 0, 0)")
        con.execute(f"insert into {RUNS_TABLE} values ('bad', 6, 90, 10, 0, 0)")
        con.execute(f"insert into {RUNS_TABLE} values ('idle', 0, 0, 0, 0, 0)")
    warehouse = WarehouseResource()
    ok = failed_share_check(SYNC, warehouse, "ok")
    bad = failed_share_check(SYNC, warehouse, "bad")
    assert ok.passed and ok.metadata["failed_share"].value == 0.05
    assert not bad.passed and bad.severity == AssetCheckSeverity.ERROR
    assert failed_share_check(SYNC, warehouse, "idle").passed
    assert not failed_share_check(SYNC, warehouse, "missing").passed
    monkeypatch.setenv("NUDGE_SYNC_MAX_FAILED_SHARE", "0.1")
    assert failed_share_check(SYNC, warehouse, "bad").passed
