"""Send-time optimization at the moment of sending (activation/sends/gate.py): a send the
build gave a later ``send_after`` (its contact's preferred hour) is deferred until then,
recorded 'deferred' with reason send_time_optimized, and sent once it comes; its expiry still
counts from due_at, and quiet hours still hold it at the send instant."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from activation.sends import run_sends
from tests.sends_helpers import (
    LOOSE_POLICY,
    FakeClock,
    RecordingDestination,
    make_warehouse,
    profile_row,
    send_row,
    settings,
    sql,
)

STRICT = {**LOOSE_POLICY, "quiet_hours_start": 21, "quiet_hours_end": 8}
KLAVIYO = settings("http://127.0.0.1:9")  # never called: RecordingDestination
DUE = datetime(2027, 1, 13, 15, 0)  # 10:00 in New York (UTC-5 in winter)
PREFERRED = datetime(2027, 1, 13, 19, 0)  # 14:00 local, the contact's preferred hour


def run(wh: Path, clock: FakeClock, esp: RecordingDestination):  # type: ignore[no-untyped-def]
    return run_sends(wh, KLAVIYO, destination=esp, clock=clock)


def ledger_row(wh: Path, send_key: str) -> tuple[object, ...]:
    return sql(
        wh,
        "select status, status_reason, deferred_until, expires_at, sent_at"
        " from activation.send_ledger where send_key = ?",
        [send_key],
    )[0]


def test_an_optimized_send_waits_for_its_send_after_then_leaves(tmp_path: Path) -> None:
    row = send_row("c-00", due=DUE, send_after=PREFERRED, timezone="America/New_York")
    wh = make_warehouse(tmp_path / "w.duckdb", [row], [profile_row("c-00")], policy=STRICT)
    clock = FakeClock(DUE + timedelta(minutes=5))
    esp = RecordingDestination(clock)

    first = run(wh, clock, esp)
    assert (first.sent, first.deferred, first.next_deferred_until) == (0, 1, PREFERRED)
    # the expiry is not moved by the wait: lateness counts from due_at
    assert ledger_row(wh, row["send_key"])[:4] == (
        "deferred",
        "send_time_optimized",
        PREFERRED,
        DUE + timedelta(hours=24),
    )
    clock.now = PREFERRED - timedelta(minutes=1)
    assert (run(wh, clock, esp).deferred, esp.delivered) == (1, {})

    clock.now = PREFERRED + timedelta(minutes=2)
    last = run(wh, clock, esp)
    assert (last.sent, last.deferred, last.expired) == (1, 0, 0)
    assert ledger_row(wh, row["send_key"])[0] == "sent"
    assert esp.delivered[row["send_key"]][0] == clock.now


def test_an_optimized_send_still_waits_out_quiet_hours(tmp_path: Path) -> None:
    # a send_after inside quiet hours (22:00 local): the build never makes one, the gate
    # still holds it until they end
    night = datetime(2027, 1, 14, 3, 0)
    row = send_row("c-00", due=DUE, send_after=night, timezone="America/New_York")
    wh = make_warehouse(tmp_path / "w.duckdb", [row], [profile_row("c-00")], policy=STRICT)
    clock = FakeClock(night + timedelta(minutes=1))
    esp = RecordingDestination(clock)

    assert (run(wh, clock, esp).sent, esp.delivered) == (0, {})
    eight_local = datetime(2027, 1, 14, 13, 0)
    assert ledger_row(wh, row["send_key"])[:3] == ("deferred", "quiet_hours", eight_local)


def test_an_optimized_send_expires_a_lateness_after_its_due_at(tmp_path: Path) -> None:
    row = send_row("c-00", due=DUE, send_after=PREFERRED, timezone="America/New_York")
    wh = make_warehouse(tmp_path / "w.duckdb", [row], [profile_row("c-00")], policy=STRICT)
    clock = FakeClock(DUE + timedelta(hours=24, minutes=1))  # the sender was away a day
    esp = RecordingDestination(clock)

    assert (run(wh, clock, esp).expired, esp.delivered) == (1, {})
    assert ledger_row(wh, row["send_key"])[:2] == ("expired", "max_send_lateness_at_send")
