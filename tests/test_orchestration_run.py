"""The whole graph, materialized in-process by the hourly job on a small generated store,
syncing into the local Klaviyo sandbox: dbt models with row counts, dbt tests and raw
freshness as checks, the audience sync with its counts and failed-row-share check."""

from __future__ import annotations

import gc
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, ExecuteInProcessResult

from activation.destinations.klaviyo.sandbox import SandboxHandle, start_sandbox
from activation.sandbox.framework import EngagementConfig
from nudge.clock import start_of_today_utc
from nudge.generator import generate
from orchestration.definitions import defs
from orchestration.jobs import HOURLY_JOB

pytestmark = pytest.mark.slow

API_KEY = "pk_orchestration_never_logged_7c1e"
SYNC = AssetKey(["klaviyo", "klaviyo_subscribers"])
SENDS = AssetKey(["klaviyo", "triggered_sends"])
PULL = AssetKey(["klaviyo", "feedback_pull"])
REPORT = AssetKey(["performance", "report"])
LIST_NAME = "Nudge — Subscribers"


@dataclass
class Run:
    warehouse: Path
    sandbox: SandboxHandle
    result: ExecuteInProcessResult
    caught_warnings: list[warnings.WarningMessage]

    def materialization(self, key: AssetKey) -> dict[str, Any]:
        (event,) = [e for e in self.result.get_asset_materialization_events() if e.asset_key == key]
        materialization = event.step_materialization_data.materialization
        return {name: value.value for name, value in materialization.metadata.items()}

    def scalar(self, sql: str) -> Any:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            row = con.execute(sql).fetchone()
        assert row is not None
        return row[0]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    warehouse = tmp_path_factory.mktemp("orchestration") / "nudge.duckdb"
    # history ending 4 days ago, built live (as of now: activation refuses replays)
    generate(
        warehouse, contacts=150, seed=3, end=start_of_today_utc() - timedelta(days=4), days=120
    )
    # every tracked send is delivered, and some opened, at once (time_scale 0)
    sandbox = start_sandbox(API_KEY, engagement=EngagementConfig(seed=1, time_scale=0))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NUDGE_WAREHOUSE", str(warehouse))
        env.setenv("KLAVIYO_BASE_URL", sandbox.base_url)
        env.setenv("KLAVIYO_API_KEY", API_KEY)
        # what earlier tests in this worker left to the garbage collector (a temporary
        # directory's implicit-cleanup ResourceWarning) is finalized now, not inside the run
        gc.collect()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = defs.resolve_job_def(HOURLY_JOB).execute_in_process(
                instance=DagsterInstance.ephemeral()
            )
        yield Run(warehouse, sandbox, result, caught)
    sandbox.stop()


def test_the_hourly_job_materializes_every_asset(run: Run) -> None:
    assert run.result.success
    materialized = {e.asset_key for e in run.result.get_asset_materialization_events()}
    job = defs.resolve_job_def(HOURLY_JOB)
    assert materialized == set(job.asset_layer.executable_asset_keys)
    names = {key.path[-1] for key in materialized}
    assert {"stg_events", "contact_rfm", "segment_memberships", "triggered_sends"} <= names
    assert {SYNC, SENDS, PULL, REPORT} <= materialized
    order = [e.asset_key for e in run.result.get_asset_materialization_events()]
    assert order.index(PULL) < order.index(AssetKey(["staging", "stg_events"]))
    assert order.index(AssetKey(["triggers", "triggered_sends"])) < order.index(SENDS)


def test_the_report_is_written_and_attached(run: Run) -> None:
    metadata = run.materialization(REPORT)
    path = Path(metadata["path"])
    assert path == run.warehouse.parent / "report.html"
    html = path.read_text(encoding="utf-8")
    assert "<svg" in html and "RFM" in html
    assert "missing_marts" not in metadata
    # a first build precedes any send, so the flows may be empty; the metadata follows the mart
    flows = run.scalar("select count(*) from performance.flow_benchmark_comparison")
    assert metadata["flows"] == flows
    assert ("flow_rates" in metadata) == (flows > 0)
    assert metadata["rfm_cells"] == run.scalar(
        "select count(*) from (select distinct r_score, f_score from contacts.contact_rfm)"
    )


def test_the_run_raises_no_warning(run: Run) -> None:
    """None of Dagster's deprecation, beta or preview warnings (nor any other) while the
    whole graph runs."""
    raised = [
        f"{w.category.__name__} at {w.filename}:{w.lineno}: {w.message}"
        for w in run.caught_warnings
    ]
    assert not raised, "\n".join(raised)


def test_models_carry_their_row_counts(run: Run) -> None:
    rfm = run.materialization(AssetKey(["contacts", "contact_rfm"]))
    assert rfm["dagster/row_count"] == run.scalar("select count(*) from contacts.contact_rfm") > 0
    memberships = run.materialization(AssetKey(["segments", "segment_memberships"]))
    expected = run.scalar("select count(*) from segments.segment_memberships")
    assert memberships["dagster/row_count"] == expected > 0


def test_dbt_tests_ran_as_passing_checks(run: Run) -> None:
    evaluations = run.result.get_asset_check_evaluations()
    dbt_checks = [e for e in evaluations if e.asset_key.path[0] != "raw" and e.asset_key != SYNC]
    assert len(dbt_checks) > 150
    assert [e.check_name for e in dbt_checks if not e.passed] == []


def test_raw_freshness_checks_flag_the_month_old_store(run: Run) -> None:
    freshness = {
        e.asset_key.path[-1]: e
        for e in run.result.get_asset_check_evaluations()
        if e.check_name == "freshness"
    }
    assert set(freshness) == {"events", "identifies", "product_catalog"}
    # generated up to 4 days ago, checked now: older than dbt's error_after (72 h)
    events = freshness["events"]
    assert not events.passed and events.severity.value == "ERROR"
    newest = run.scalar("select max(received_at) from raw.events")
    assert events.metadata["newest_loaded_at"].value == newest.isoformat()


def test_the_sync_reports_what_it_sent(run: Run) -> None:
    audience = run.scalar("select count(*) from syncs.sync_klaviyo_subscribers")
    metadata = run.materialization(SYNC)
    assert metadata["status"] == "success"
    assert metadata["added"] == audience > 0
    assert metadata["failed"] == metadata["removed"] == 0
    assert metadata["api_calls"] > 0 and metadata["rate_limited"] == 0
    assert API_KEY not in str(metadata)
    assert len(run.sandbox.list_members(LIST_NAME)) == audience
    (check,) = [e for e in run.result.get_asset_check_evaluations() if e.asset_key == SYNC]
    assert check.passed and check.metadata["sent"].value == audience


def test_the_due_sends_reach_the_esp_once(run: Run) -> None:
    candidates = run.scalar(
        "select count(*) from triggers.triggered_sends where status in ('due', 'capped')"
    )
    metadata = run.materialization(SENDS)
    assert metadata["status"] == "success"
    assert metadata["candidates"] == candidates > 0
    # each one sent or held back by the send-time gate (e.g. quiet hours where it is night)
    decided = ("sent", "skipped", "expired", "deferred", "capped")
    assert sum(metadata[outcome] for outcome in decided) == candidates
    assert metadata["sent"] == metadata.get("ledger_sent", 0)
    assert metadata["sent"] + metadata["deferred"] > 0
    assert metadata["failed"] == 0 and metadata["api_calls"] >= metadata["sent"]
    tracked = Counter(event.get("unique_id") for event in run.sandbox.events())
    with duckdb.connect(str(run.warehouse), read_only=True) as con:
        ledger = con.execute("select send_key from activation.send_ledger where status = 'sent'")
        sent_keys = {row[0] for row in ledger.fetchall()}
    assert len(sent_keys) == metadata["sent"]
    assert all(tracked[key] == 1 for key in sent_keys)
    pull = run.materialization(PULL)  # ran before the sends, on a fresh sandbox
    assert pull["suppressions_pulled"] == pull["engagement_pulled"] == 0


def test_running_the_activation_assets_again_sends_nothing_and_pulls_engagement(
    run: Run,
) -> None:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NUDGE_WAREHOUSE", str(run.warehouse))
        env.setenv("KLAVIYO_BASE_URL", run.sandbox.base_url)
        env.setenv("KLAVIYO_API_KEY", API_KEY)
        again = defs.get_implicit_global_asset_job_def().execute_in_process(
            asset_selection=[PULL, SYNC, SENDS], instance=DagsterInstance.ephemeral()
        )
    assert again.success
    metadata = {
        e.asset_key: {k: v.value for k, v in e.materialization.metadata.items()}
        for e in again.get_asset_materialization_events()
    }
    assert metadata[SYNC]["added"] == metadata[SYNC]["changed"] == 0
    assert metadata[SYNC]["write_calls"] == 0
    first = run.materialization(SENDS)
    # nothing twice; at most what was deferred or capped a moment ago (quiet hours ending)
    assert metadata[SENDS]["sent"] <= first["deferred"] + first["capped"]
    # the sandbox delivered every send: the pull lands one Email Delivered per send at least
    # (none when quiet hours at the wall clock deferred every send: the count is then absent)
    sent = metadata[SENDS].get("ledger_sent", 0)
    landed = metadata[PULL].get("landed Email Delivered", 0)
    assert landed + metadata[PULL].get("landed Email Bounced", 0) >= sent
    delivered = run.scalar("select count(*) from raw.events where event = 'Email Delivered'")
    assert delivered >= landed
    # the subscribers sync ran once with the job and once now (the segment syncs ran once)
    subscribers_runs = run.scalar(
        "select count(*) from activation.sync_runs where sync_name = 'klaviyo_subscribers'"
    )
    assert subscribers_runs == 2
