"""The README's demo, twice on one warehouse: the first sends the due triggered sends, pulls
their engagement back and measures it (flow_performance, the report); the second changes
nothing in Klaviyo, sends nothing and lands no engagement twice."""

from __future__ import annotations

import secrets
from pathlib import Path

import duckdb
from rich.console import Console

from activation.sandbox.klaviyo import start_sandbox
from nudge.demo import run_demo, sandbox_state_path
from tests.test_report import assert_report_matches_marts


def test_second_demo_run_sends_no_profile_changes(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse" / "nudge.duckdb"
    console = Console(record=True, width=200)

    first = run_demo(console, warehouse, contacts=200, seed=11)
    second = run_demo(console, warehouse, contacts=200, seed=11)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select email from syncs.sync_klaviyo_subscribers").fetchall()
    audience = {row[0] for row in rows}
    assert len(audience) > 20
    (sync,) = first.syncs
    assert (sync.status, sync.added, sync.failed) == ("success", len(audience), 0)
    assert sync.write_calls > 0

    (again,) = second.syncs
    assert (again.added, again.changed, again.removed, again.retried, again.failed) == (0,) * 5
    assert again.unchanged == len(audience)
    assert again.write_calls == 0
    assert second.sandbox_state["profiles"] == first.sandbox_state["profiles"] == len(audience)

    with start_sandbox(secrets.token_hex(8), state_path=sandbox_state_path(warehouse)) as sandbox:
        emails = [profile["email"] for profile in sandbox.profiles()]
        (members,) = [sandbox.list_members(row["name"]) for row in sandbox.lists()]
    assert sorted(emails) == sorted(audience)  # each profile once
    assert {member["email"] for member in members} == audience

    transcript = console.export_text()
    dagster = f"nudge dagster --warehouse {warehouse}"
    for heading in ("Marts built by dbt", "Quarantined rows by reason", "Syncs", dagster):
        assert heading in transcript

    sends, engagement = first.sends, first.engagement
    assert sends and engagement and sends.sent > 0 and sends.failed == 0
    by_event = engagement.by_event
    assert by_event.get("Email Delivered", 0) + by_event.get("Email Bounced", 0) == sends.sent
    assert by_event.get("Email Opened", 0) > 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        measured = con.execute(
            "select sum(sends), sum(opens), sum(clicks), count(distinct trigger_key)"
            " from performance.flow_performance"
        ).fetchone()
    assert measured is not None
    flow_sends, opens, clicks, flows = measured
    # the measurement build sees every send and the engagement pulled, each once
    assert (flow_sends, opens, clicks) == (
        sends.sent,
        by_event["Email Opened"],
        by_event.get("Email Link Clicked", 0),
    )
    # the second run regenerates raw.events, so the pull sees the reload and lands the
    # ESP's engagement once more; the marts above (read after both runs) count it once
    assert second.sends and second.engagement
    assert (second.sends.sent, second.engagement.landed) == (0, engagement.landed)
    assert second.report and second.report.exists()
    html = second.report.read_text()
    assert html.count('<svg id="funnel-') == flows
    assert assert_report_matches_marts(html, warehouse) > 0
