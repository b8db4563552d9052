"""The README's demo, twice on one warehouse: the first sends the due triggered sends (each
judged at the moment it leaves: its audit shows none late, none in quiet hours, none over an
address's caps), pulls their engagement back and measures it (flow_performance, the report);
the second changes nothing in Klaviyo, sends nothing the first run could have sent, and
lands no engagement twice."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import time_machine
from rich.console import Console

from activation.destinations.klaviyo.sandbox import start_sandbox
from nudge.demo import run_demo, sandbox_state_path
from tests.test_report import assert_report_matches_marts


def ledger_snapshot(warehouse: Path) -> dict[str, str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select send_key, status from activation.send_ledger").fetchall()
    return {str(key): str(status) for key, status in rows}


def sent_since(warehouse: Path, before: dict[str, str]) -> list[str]:
    now = ledger_snapshot(warehouse)
    return [key for key, status in now.items() if status == "sent" and before.get(key) != "sent"]


# The demo builds and sends as of the wall clock, and the send-time gate holds every send in
# its contact's quiet hours (21:00-08:00 local). At 17:00 UTC the generator's American and
# European contacts are awake, so sends leave and draw engagement whatever hour the test runs.
DAYTIME = datetime.now(UTC).replace(hour=17, minute=0, second=0, microsecond=0)


@time_machine.travel(DAYTIME, tick=True)
def test_second_demo_run_sends_no_profile_changes(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse" / "nudge.duckdb"
    console = Console(record=True, width=200)

    first = run_demo(console, warehouse, contacts=200, seed=11)
    after_first = ledger_snapshot(warehouse)
    second = run_demo(console, warehouse, contacts=200, seed=11)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select email from syncs.sync_klaviyo_subscribers").fetchall()
    audience = {row[0] for row in rows}
    assert len(audience) > 20
    sync = next(s for s in first.syncs if s.sync_name == "klaviyo_subscribers")
    assert (sync.status, sync.added, sync.failed) == ("success", len(audience), 0)
    assert sync.write_calls > 0

    again = next(s for s in second.syncs if s.sync_name == "klaviyo_subscribers")
    assert (again.added, again.changed, again.removed, again.retried, again.failed) == (0,) * 5
    assert again.unchanged == len(audience)
    assert again.write_calls == 0
    assert second.sandbox_state["profiles"] == first.sandbox_state["profiles"] == len(audience)

    with start_sandbox(secrets.token_hex(8), state_path=sandbox_state_path(warehouse)) as sandbox:
        emails = [profile["email"] for profile in sandbox.profiles()]
        members = sandbox.list_members("Nudge — Subscribers")
        segment_lists = {
            row["name"]: len(sandbox.list_members(row["name"]))
            for row in sandbox.lists()
            if row["name"] != "Nudge — Subscribers"
        }
    assert sorted(emails) == sorted(audience)  # each profile once
    assert {member["email"] for member in members} == audience
    # each core segment's list holds its segment_memberships rows of subscribers
    assert len(second.segment_lists) == 5
    assert segment_lists == {s.list_name: s.emailable for s in second.segment_lists if s.emailable}
    assert all(s.matches and s.emailable <= s.members for s in second.segment_lists)
    assert sum(s.emailable for s in second.segment_lists) > 0

    transcript = console.export_text()
    assert "Segment lists in Klaviyo against segment_memberships" in transcript
    dagster = f"nudge dagster --warehouse {warehouse}"
    for heading in ("Marts built by dbt", "Quarantined rows by reason", "Syncs", dagster):
        assert heading in transcript

    sends, engagement = first.sends, first.engagement
    assert sends and engagement and sends.sent > 0 and sends.failed == 0
    assert first.audit is not None and first.audit.sent == sends.sent
    assert (first.audit.past_lateness, first.audit.in_quiet_hours, first.audit.over_caps) == (
        0,
        0,
        0,
    )
    assert "Emails that left, against the send-time guardrails" in transcript
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
    # the second run builds as of a later now: it may send only what came due, or left its
    # quiet hours or caps, after the first run (rarely anything, a minute later)
    assert second.sends and second.engagement and second.audit
    late_comers = sent_since(warehouse, after_first)
    assert second.sends.sent == len(late_comers)
    for key in late_comers:
        assert after_first.get(key) in (None, "deferred", "capped"), key
    assert (second.audit.past_lateness, second.audit.in_quiet_hours) == (0, 0)
    # the measurement build sees every send and the engagement pulled, each once
    assert flow_sends == sends.sent + second.sends.sent
    if not late_comers:
        assert (opens, clicks) == (by_event["Email Opened"], by_event.get("Email Link Clicked", 0))
        # the second run regenerates raw.events, so the pull sees the reload and lands the
        # ESP's engagement once more; the marts above (read after both runs) count it once
        assert second.engagement.landed == engagement.landed
    assert second.report and second.report.exists()
    html = second.report.read_text()
    assert html.count('<svg id="funnel-') == flows
    assert assert_report_matches_marts(html, warehouse) > 0
