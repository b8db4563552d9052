"""`nudge pull` through the CLI: engagement of sent emails lands once, a second pull lands
nothing, the table shows what landed; `nudge report` writes the HTML; a missing key is a
clear error naming the variable, with no traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from activation.destinations.klaviyo.sandbox import SandboxHandle
from activation.sandbox.framework import EngagementConfig
from activation.sends import run_sends
from tests.sends_helpers import (
    cli_sandbox,
    make_warehouse,
    nudge,
    profile_row,
    send_row,
    settings,
    sql,
)

CONTACTS = [f"c-{i:02d}" for i in range(12)]


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxHandle]:
    with cli_sandbox(
        monkeypatch, EngagementConfig(seed=4, open_rate=0.6, time_scale=0.0)
    ) as handle:
        yield handle


def test_pull_lands_engagement_once_and_report_is_written(
    warehouse: Path, sandbox: SandboxHandle
) -> None:
    make_warehouse(warehouse, [send_row(c) for c in CONTACTS], [profile_row(c) for c in CONTACTS])
    assert run_sends(warehouse, settings(sandbox.base_url)).sent == len(CONTACTS)

    code, output = nudge("pull", "--warehouse", str(warehouse))
    assert code == 0, output
    landed = sql(warehouse, "select count(*) from raw.events where message_id like 'esp-eng%'")
    assert landed[0][0] >= len(CONTACTS)  # at least one delivery or bounce per send
    assert "ESP engagement pulled" in output and f"{landed[0][0]:,}" in output
    assert "Email Delivered" in output

    code, again = nudge("pull", "--warehouse", str(warehouse))
    assert code == 0, again
    assert (
        sql(warehouse, "select count(*) from raw.events where message_id like 'esp-eng%'") == landed
    )

    report = warehouse.parent / "out" / "report.html"
    code, output = nudge("report", "--warehouse", str(warehouse), "--output", str(report))
    assert code == 0, output
    assert report.exists() and 'id="rfm-heatmap"' in report.read_text()
    assert "Not built yet" in report.read_text()  # this warehouse has no marts


def test_pull_without_a_key_names_the_variable(
    warehouse: Path, sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_warehouse(warehouse, [], [])
    monkeypatch.delenv("KLAVIYO_API_KEY")
    code, output = nudge("pull", "--warehouse", str(warehouse))
    assert code == 2
    assert "KLAVIYO_API_KEY" in output and "Traceback" not in output
