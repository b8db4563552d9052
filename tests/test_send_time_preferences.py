"""Email preferences at the moment of sending (activation/fresh_preferences.py, gate.py): a
topic opt-out or a frequency chosen after the build that planned the sends holds for the
send, for the contact and every contact sharing its address; a choice the build already
saw comes from contact_profiles (frequency) or kept the send out of the candidates (topic,
'suppressed' by the build)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from activation.sends.ledger import ensure_ledger
from activation.warehouse import Warehouse
from tests.sends_helpers import (
    AS_OF,
    LOOSE_POLICY,
    FakeClock,
    RecordingDestination,
    make_warehouse,
    profile_row,
    send_row,
    sql,
)
from tests.test_send_time_gate import ledger_rows, raw_event, run

AFTER = AS_OF + timedelta(seconds=30)


def sent_before(wh: Path, contact_id: str, at: datetime) -> None:
    with Warehouse(wh) as warehouse:
        ensure_ledger(warehouse)
    sql(
        wh,
        "insert into activation.send_ledger (send_key, destination_target, contact_id,"
        " trigger_key, step, series_id, status, attempts, created_at, sent_at, updated_at)"
        " values (?, 'elsewhere', ?, 'welcome', 1, 's', 'sent', 1, ?, ?, ?)",
        [f"earlier-{contact_id}", contact_id, at, at, at],
    )


def test_a_topic_opt_out_after_the_build_stops_that_topic_for_the_whole_address(
    tmp_path: Path,
) -> None:
    ann, ann_guest, bob = "c-00", "c-01", "c-02"
    sends = [
        send_row(ann, trigger_key="winback", topic="offers"),
        send_row(ann, trigger_key="cart_abandonment", topic="reminders"),
        send_row(ann_guest, trigger_key="welcome", topic="offers"),
        send_row(bob, trigger_key="winback", topic="offers"),
    ]
    profiles = [
        profile_row(ann),
        profile_row(ann_guest, email=" C-00@example.com"),
        profile_row(bob),
    ]
    wh = make_warehouse(tmp_path / "w.duckdb", sends, profiles)
    # ann opts out of offers; bob opts out, then changes his mind
    raw_event(wh, ann, " email preferences updated", AFTER, topic=" Offers ", subscribed=False)
    raw_event(wh, bob, "Email Preferences Updated", AFTER, topic="offers", subscribed="false")
    raw_event(
        wh, bob, "Email Preferences Updated", AFTER + timedelta(seconds=5), topic="offers",
        subscribed=True,
    )  # fmt: skip
    clock = FakeClock(AS_OF + timedelta(minutes=2))
    esp = RecordingDestination(clock)

    result = run(wh, clock, esp)

    assert (result.sent, result.skipped) == (2, 2)
    assert result.skipped_by_reason == {"topic_opted_out_after_build": 2}
    rows = ledger_rows(wh)
    assert rows[sends[2]["send_key"]][:2] == ("skipped", "topic_opted_out_after_build")
    assert set(esp.delivered) == {sends[1]["send_key"], sends[3]["send_key"]}


def test_a_chosen_frequency_allows_one_email_per_window_counted_from_the_last(
    tmp_path: Path,
) -> None:
    built_weekly, fresh_weekly, loosened, monthly, two_due = "c-00", "c-01", "c-02", "c-03", "c-04"
    profiles = [
        profile_row(built_weekly, frequency_window_days=7),
        profile_row(fresh_weekly),
        profile_row(loosened, frequency_window_days=7),
        profile_row(monthly),
        profile_row(two_due, frequency_window_days=7),
    ]
    sends = [send_row(c) for c in (built_weekly, fresh_weekly, loosened, monthly, two_due)]
    sends.append(send_row(two_due, trigger_key="winback", topic="offers", priority=16))
    # sends stay sendable for the second run, four days on
    policy = {**LOOSE_POLICY, "max_send_lateness_hours": 8 * 24}
    wh = make_warehouse(tmp_path / "w.duckdb", sends, profiles, policy=policy)
    for contact, days_ago in ((built_weekly, 3), (fresh_weekly, 6), (loosened, 3), (monthly, 10)):
        sent_before(wh, contact, AS_OF - timedelta(days=days_ago))
    raw_event(wh, fresh_weekly, "Email Preferences Updated", AFTER, frequency="weekly")
    raw_event(wh, loosened, "Email Preferences Updated", AFTER, frequency="all")
    raw_event(wh, monthly, "Email Preferences Updated", AFTER, frequency=" MONTHLY")
    clock = FakeClock(AS_OF + timedelta(minutes=2))
    esp = RecordingDestination(clock)

    result = run(wh, clock, esp)

    assert result.capped_by_reason == {"email_frequency": 4}
    delivered = {record.external_id for _, record in esp.delivered.values()}
    assert delivered == {loosened, two_due}
    rows = ledger_rows(wh)
    assert rows[sends[0]["send_key"]][:2] == ("capped", "email_frequency")
    assert rows[sends[-1]["send_key"]][:2] == ("capped", "email_frequency")  # lower priority

    clock.advance(timedelta(days=4))  # built_weekly's last email is now 7 days old
    again = run(wh, clock, esp)
    assert {record.external_id for _, record in esp.delivered.values()} == {
        loosened, two_due, built_weekly, fresh_weekly
    }  # fmt: skip
    assert again.capped_by_reason == {"email_frequency": 2}  # monthly; two_due's second
