"""`nudge pull` and `nudge report` are recorded in Dagster (orchestration/recorded_runs.py) as
the materializations a Dagster run of the same assets records: the ESP's feedback pull with
the engagement landed, the report with its file; a report written elsewhere (--output) is
not the asset's file and is not recorded."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from dagster import AssetKey, DagsterInstance, deserialize_value
from rich.console import Console

from activation.sandbox.framework import EngagementConfig
from activation.sends import ReadbackResult, SendRunResult, run_sends
from orchestration import recorded_runs
from orchestration.assets.esp import feedback_pull_key
from orchestration.assets.report import REPORT_KEY
from orchestration.recorded_runs import QUEUE_DIR, RECORD_ENV, Recorder, write_queued
from tests.sends_helpers import (
    cli_sandbox,
    make_warehouse,
    nudge,
    profile_row,
    send_row,
    settings,
    sql,
)

CONTACTS = [f"c-{i:02d}" for i in range(6)]


def materializations(home: Path, key: AssetKey) -> list[dict[str, Any]]:
    with DagsterInstance.from_config(str(home)) as instance:
        records = instance.fetch_materializations(key, limit=10).records
    return [
        {name: value.value for name, value in record.asset_materialization.metadata.items()}
        for record in records
        if record.asset_materialization is not None
    ]


def test_pull_and_report_show_as_materialized(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "dagster_home"
    monkeypatch.setenv(RECORD_ENV, "true")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    # the queue is written here, in the test's process, not by a writer in the background
    monkeypatch.setattr(recorded_runs, "start_writer", lambda home: None)
    make_warehouse(warehouse, [send_row(c) for c in CONTACTS], [profile_row(c) for c in CONTACTS])
    engagement = EngagementConfig(seed=4, open_rate=0.6, time_scale=0.0)
    with cli_sandbox(monkeypatch, engagement) as sandbox:
        assert run_sends(warehouse, settings(sandbox.base_url)).sent == len(CONTACTS)
        code, output = nudge("pull", "--warehouse", str(warehouse))
        assert code == 0, output
    code, output = nudge("report", "--warehouse", str(warehouse))
    assert code == 0, output
    elsewhere = tmp_path / "elsewhere.html"
    code, output = nudge("report", "--warehouse", str(warehouse), "--output", str(elsewhere))
    assert code == 0, output
    assert write_queued(home) == 2

    (pull,) = materializations(home, feedback_pull_key("klaviyo"))
    landed = sql(warehouse, "select count(*) from raw.events where message_id like 'esp-eng%'")
    assert pull["engagement_landed"] == landed[0][0] >= len(CONTACTS)
    assert pull["nudge/command"] == "nudge pull"
    assert pull["landed Email Delivered"] > 0
    (report,) = materializations(home, REPORT_KEY)
    assert Path(report["path"]) == warehouse.parent / "report.html"
    assert report["nudge/command"] == "nudge report"
    assert report["missing_marts"]  # this warehouse has no marts: the report says so


def test_the_read_back_before_sends_is_recorded_as_the_feedback_pull(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`nudge sync` reads suppressions back before sending: that is the feedback pull asset's
    other half, recorded with the send run in one batch."""
    home = tmp_path / "dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setattr(recorded_runs, "start_writer", lambda home: None)
    started = datetime(2026, 12, 4, 12, 0)
    sends = SendRunResult("run-1", "klaviyo", None, False, started, candidates=2, sent=2)
    readback = ReadbackResult("klaviyo", None, started, pulled=3, new=1)
    Recorder("nudge sync").sends(Console(file=io.StringIO()), "klaviyo", sends, readback)
    (queued,) = (home / QUEUE_DIR).glob("*.json")
    pull, send = deserialize_value(queued.read_text(), list)
    assert pull.asset_key == feedback_pull_key("klaviyo")
    assert pull.metadata["suppressions_pulled"].value == 3
    assert pull.metadata["suppressions_new"].value == 1
    assert send.asset_key == AssetKey(["klaviyo", "triggered_sends"])
    assert send.metadata["sent"].value == 2


def test_nudge_sync_records_its_read_back_and_sends(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sends `nudge sync triggered_sends` made, and the read-back before them, as the
    feedback pull and triggered sends assets' materializations."""
    home = tmp_path / "dagster_home"
    monkeypatch.setenv(RECORD_ENV, "true")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setattr(recorded_runs, "start_writer", lambda home: None)
    make_warehouse(warehouse, [send_row(c) for c in CONTACTS], [profile_row(c) for c in CONTACTS])
    with cli_sandbox(monkeypatch):
        code, output = nudge("sync", "triggered_sends", "--warehouse", str(warehouse))
        assert code == 0, output
        code, output = nudge("sync", "triggered_sends", "--dry-run", "--warehouse", str(warehouse))
        assert code == 0, output  # a dry run is not recorded
    assert write_queued(home) == 2
    (pull,) = materializations(home, feedback_pull_key("klaviyo"))
    assert pull["nudge/command"] == "nudge sync" and "suppressions_pulled" in pull
    (sends,) = materializations(home, AssetKey(["klaviyo", "triggered_sends"]))
    assert sends["nudge/command"] == "nudge sync" and sends["sent"] == len(CONTACTS)
