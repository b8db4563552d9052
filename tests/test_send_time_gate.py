"""The send-time gate (activation/sends/gate.py): a planned send is judged again at the
moment it leaves, against the clock of the send — consent ended after the build (raw events
whose names differ in case or spacing included), lateness from due_at to the send, quiet
hours in the contact's zone at the send instant (deferred, then sent), caps counted from the
ledger up to now and per email address, erasures — and every decision not to send is in the
ledger and the run summary. Each of these sent the email before the gate existed."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from activation.build_stamps import ReplayBuildError, record_build_stamp
from activation.sends import run_sends
from activation.sends.ledger import ensure_ledger, mark_pending
from activation.tombstones import add_tombstones
from activation.warehouse import Warehouse
from tests.sends_helpers import (
    AS_OF,
    LOOSE_POLICY,
    FakeClock,
    NotDeDuplicatingDestination,
    RecordingDestination,
    candidate,
    make_warehouse,
    profile_row,
    send_row,
    settings,
    sql,
)

STRICT = {**LOOSE_POLICY, "quiet_hours_start": 21, "quiet_hours_end": 8}
CAPPED = {**STRICT, "max_sends_per_day": 1, "max_sends_per_week": 3}
KLAVIYO = settings("http://127.0.0.1:9")  # never called: the tests use RecordingDestination
NOON_UTC = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 12) + timedelta(days=2)


def run(wh: Path, clock: FakeClock, destination: RecordingDestination, **options: object):
    return run_sends(wh, KLAVIYO, destination=destination, clock=clock, **options)  # type: ignore[arg-type]


def ledger_rows(wh: Path) -> dict[str, tuple[object, ...]]:
    rows = sql(
        wh,
        "select send_key, status, status_reason, deferred_until, sent_at"
        " from activation.send_ledger",
    )
    return {row[0]: row[1:] for row in rows}


def raw_event(wh: Path, user_id: str, event: str, at: datetime, **properties: object) -> None:
    sql(
        wh,
        "insert into raw.events values (?, ?, ?, null, ?, ?, ?, ?)",
        [
            f"m-{user_id}-{event}-{at.isoformat()}",
            event,
            user_id,
            at,
            AS_OF + timedelta(minutes=1),  # received after the build
            json.dumps(properties),
            json.dumps({"channel": "email"}),
        ],
    )


def test_consent_ended_after_the_build_stops_the_send_for_the_contact_and_its_address(
    tmp_path: Path,
) -> None:
    contacts = ["c-00", "c-01", "c-02", "c-03", "c-04", "c-05"]
    profiles = [profile_row(c) for c in contacts]
    profiles[4] = profile_row("c-04", email=" C-00@Example.com ")  # c-00's address
    wh = make_warehouse(tmp_path / "w.duckdb", [send_row(c) for c in contacts], profiles)
    after = AS_OF + timedelta(seconds=30)
    raw_event(wh, "c-00", "  unsubscribed ", after, channel="email")  # a collector's spelling
    raw_event(wh, "c-01", "EMAIL BOUNCED", after, bounce_type="hard")
    raw_event(wh, "c-02", "Email Bounced", after, bounce_type="soft")  # no consent end
    raw_event(wh, "c-03", "Unsubscribed", AS_OF - timedelta(days=40))  # before consent began
    raw_event(wh, "c-05", "Email Marked as Spam", after)
    clock = FakeClock(AS_OF + timedelta(minutes=2))
    esp = RecordingDestination(clock)

    result = run(wh, clock, esp)

    assert (result.sent, result.skipped) == (2, 4)
    assert result.skipped_by_reason == {
        "unsubscribed_after_build": 2,  # c-00 and c-04, who shares its address
        "hard_bounce_after_build": 1,
        "spam_complaint_after_build": 1,
    }
    statuses = {key: row[:2] for key, row in ledger_rows(wh).items()}
    assert statuses[send_row("c-04")["send_key"]] == ("skipped", "unsubscribed_after_build")
    assert {r.external_id for _, r in esp.delivered.values()} == {"c-02", "c-03"}


def test_a_stale_send_expires_at_send_time_and_leaves_the_cap_to_a_fresh_one(
    tmp_path: Path,
) -> None:
    now = NOON_UTC
    stale = send_row("c-00", series="old", due=now - timedelta(hours=30), priority=1)
    fresh = send_row("c-00", series="new", trigger_key="price_drop", due=now, priority=4)
    third = send_row("c-00", series="x", trigger_key="winback", due=now, priority=16)
    wh = make_warehouse(
        tmp_path / "w.duckdb", [stale, fresh, third], [profile_row("c-00")], policy=CAPPED
    )
    clock = FakeClock(now + timedelta(minutes=5))
    esp = RecordingDestination(clock)

    result = run(wh, clock, esp)

    assert (result.sent, result.expired, result.capped) == (1, 1, 1)
    assert result.capped_by_reason == {"max_sends_per_day": 1}
    rows = ledger_rows(wh)
    assert rows[stale["send_key"]][:2] == ("expired", "max_send_lateness_at_send")
    assert rows[fresh["send_key"]][0] == "sent"
    assert rows[third["send_key"]][:2] == ("capped", "max_sends_per_day")
    assert set(esp.delivered) == {fresh["send_key"]}


def test_quiet_hours_at_the_send_instant_defer_the_send_until_they_end(tmp_path: Path) -> None:
    # 20:50 in New York (UTC-5 in winter) is due; the sender only gets to it at 21:10
    due = datetime(2027, 1, 13, 1, 50)
    row = send_row("c-00", due=due, timezone="America/New_York")
    policy = {**STRICT, "max_send_lateness_hours": 1}  # shorter than the night
    wh = make_warehouse(tmp_path / "w.duckdb", [row], [profile_row("c-00")], policy=policy)
    clock = FakeClock(due + timedelta(minutes=20))
    esp = RecordingDestination(clock)
    eight_local = datetime(2027, 1, 13, 13, 0)

    first = run(wh, clock, esp)
    assert (first.sent, first.deferred, first.next_deferred_until) == (0, 1, eight_local)
    assert ledger_rows(wh)[row["send_key"]][:3] == ("deferred", "quiet_hours", eight_local)

    clock.now = datetime(2027, 1, 13, 12, 30)  # 07:30 local: still quiet
    assert run(wh, clock, esp).deferred == 1
    clock.now = eight_local + timedelta(minutes=5)  # lateness counts from the deferral's end
    last = run(wh, clock, esp)
    assert (last.sent, last.expired, last.deferred) == (1, 0, 0)
    assert ledger_rows(wh)[row["send_key"]][0] == "sent"
    assert esp.delivered[row["send_key"]][0] == clock.now


def test_the_last_look_before_each_call_defers_what_quiet_hours_reached_meanwhile(
    tmp_path: Path,
) -> None:
    due = datetime(2027, 1, 13, 1, 40)  # 20:40 in New York
    rows = [send_row(c, due=due, timezone="America/New_York") for c in ("c-00", "c-01")]
    wh = make_warehouse(
        tmp_path / "w.duckdb", rows, [profile_row(c) for c in ("c-00", "c-01")], policy=STRICT
    )
    clock = FakeClock(datetime(2027, 1, 13, 1, 58))  # 20:58 local, both pass the gate
    esp = RecordingDestination(clock, call_time=timedelta(minutes=5))  # a slow ESP

    result = run(wh, clock, esp)

    assert (result.sent, result.deferred) == (1, 1)
    statuses = sorted(row[0] for row in ledger_rows(wh).values())
    assert statuses == ["deferred", "sent"]
    assert [when for when, _ in esp.delivered.values()] == [datetime(2027, 1, 13, 1, 58)]


@pytest.mark.parametrize("de_duplicates", [True, False], ids=["de-duplicating", "not"])
def test_an_interrupted_send_deferred_by_quiet_hours_is_not_sent_later_without_dedup(
    tmp_path: Path, de_duplicates: bool
) -> None:
    """c-00's send was interrupted at 20:55 in New York (left 'pending': it may have been
    delivered); the next run, at 21:10, is in quiet hours. A destination that cannot
    de-duplicate must not get it in the morning, as if never attempted; c-01's, never
    attempted, waits for the morning and leaves then."""
    due = datetime(2027, 1, 13, 1, 50)  # 20:50 local
    contacts = ("c-00", "c-01")
    rows = [send_row(c, due=due, timezone="America/New_York") for c in contacts]
    wh = make_warehouse(
        tmp_path / "w.duckdb", rows, [profile_row(c) for c in contacts], policy=STRICT
    )
    interrupted = replace(candidate("c-00"), due_at=due, timezone="America/New_York")
    with Warehouse(wh) as warehouse:
        ensure_ledger(warehouse)
        mark_pending(warehouse, KLAVIYO.target, [interrupted], due + timedelta(minutes=5))
    clock = FakeClock(due + timedelta(minutes=20))
    esp = (RecordingDestination if de_duplicates else NotDeDuplicatingDestination)(clock)

    night = run(wh, clock, esp)
    clock.now = datetime(2027, 1, 13, 13, 5)  # 08:05 local
    morning = run(wh, clock, esp)

    assert esp.deliveries == (
        [r["send_key"] for r in rows] if de_duplicates else [rows[1]["send_key"]]
    )
    if not de_duplicates:
        assert (night.failed, night.deferred, morning.sent, morning.failed) == (1, 1, 1, 0)
        status, reason = ledger_rows(wh)[interrupted.send_key][:2]
        assert (status, reason) == ("failed", "outcome_unknown")


def test_caps_count_the_ledger_up_to_the_send_and_every_contact_of_the_address(
    tmp_path: Path,
) -> None:
    now = NOON_UTC
    ann, ann_again, bob = "c-00", "c-01", "c-02"
    profiles = [
        profile_row(ann, email="Ann@Example.com"),
        profile_row(ann_again, email=" ann@example.com"),
        profile_row(bob),
    ]
    sends = [send_row(c, due=now) for c in (ann, ann_again, bob)]
    wh = make_warehouse(tmp_path / "w.duckdb", sends, profiles, policy=CAPPED)
    with Warehouse(wh) as warehouse:
        ensure_ledger(warehouse)
    # bob got an email 23 hours ago: his next one waits a day after it
    sql(
        wh,
        "insert into activation.send_ledger (send_key, destination_target, contact_id,"
        " trigger_key, step, series_id, status, attempts, created_at, sent_at, updated_at)"
        " values ('earlier', 'elsewhere', ?, 'welcome', 1, 's', 'sent', 1, ?, ?, ?)",
        [bob, now - timedelta(hours=23), now - timedelta(hours=23), now - timedelta(hours=23)],
    )
    clock = FakeClock(now)
    esp = RecordingDestination(clock)

    first = run(wh, clock, esp)
    assert (first.sent, first.capped) == (1, 2)  # one of ann's two contacts; bob waits
    assert {r.email.strip().lower() for _, r in esp.delivered.values()} == {"ann@example.com"}

    clock.advance(timedelta(hours=2))  # bob's earlier email is now 25 hours old
    second = run(wh, clock, esp)
    assert (second.sent, second.capped) == (1, 1)
    assert ledger_rows(wh)[sends[2]["send_key"]][0] == "sent"


def test_erased_people_are_never_sent_to_again(tmp_path: Path) -> None:
    wh = make_warehouse(
        tmp_path / "w.duckdb",
        [send_row("c-00"), send_row("c-01")],
        [profile_row("c-00"), profile_row("c-01", email="Again@Example.com")],
    )
    with Warehouse(wh) as warehouse:
        add_tombstones(warehouse, email="c-00@example.com", contact_ids=["c-00"], erased_at=AS_OF)
        add_tombstones(warehouse, email="again@example.com", contact_ids=[], erased_at=AS_OF)
    clock = FakeClock(AS_OF + timedelta(minutes=1))
    esp = RecordingDestination(clock)

    result = run(wh, clock, esp)

    assert (result.sent, result.skipped, result.skipped_by_reason) == (0, 2, {"erased": 2})
    assert esp.delivered == {}
    # counted, not written: a ledger row would name the erased person again
    assert sql(wh, "select count(*) from activation.send_ledger") == [(0,)]


def test_a_replayed_build_is_refused_before_anything_leaves(tmp_path: Path) -> None:
    wh = make_warehouse(tmp_path / "w.duckdb", [send_row("c-00")], [profile_row("c-00")])
    with Warehouse(wh) as warehouse:  # then someone rebuilt it as of a month ago
        record_build_stamp(warehouse, "triggers.triggered_sends", AS_OF - timedelta(days=30))
    clock = FakeClock(AS_OF + timedelta(minutes=1))
    esp = RecordingDestination(clock)

    with pytest.raises(ReplayBuildError, match=r"triggers\.triggered_sends"):
        run(wh, clock, esp)
    assert esp.calls == 0
    with duckdb.connect(str(wh)) as con:
        tables = {
            row[0] for row in con.execute("select table_name from duckdb_tables()").fetchall()
        }
    assert "send_ledger" not in tables


def test_a_dry_run_shows_what_the_gate_would_decide_and_writes_nothing(tmp_path: Path) -> None:
    now = NOON_UTC
    rows = [
        send_row("c-00", due=now - timedelta(hours=30)),
        send_row("c-01", due=now, timezone="Asia/Tokyo"),  # 21:00 in Tokyo
        send_row("c-02", due=now),
    ]
    wh = make_warehouse(
        tmp_path / "w.duckdb",
        rows,
        [profile_row(c) for c in ("c-00", "c-01", "c-02")],
        policy=STRICT,
    )
    clock = FakeClock(now)
    esp = RecordingDestination(clock)

    plan = run(wh, clock, esp, dry_run=True)

    actions = {p.contact_id: (p.action, p.reason) for p in plan.planned}
    assert actions == {
        "c-00": ("expire", "max_send_lateness_at_send"),
        "c-01": ("defer", "quiet_hours"),
        "c-02": ("send", None),
    }
    assert (plan.to_send, plan.expired, plan.deferred, esp.calls) == (1, 1, 1, 0)
    assert sql(wh, "select count(*) from activation.send_ledger") == [(0,)]
