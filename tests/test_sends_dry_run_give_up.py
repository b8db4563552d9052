"""A dry run shows what a real run would do with a send an earlier attempt may have
delivered: given up ('give_up', with why, counted failed), not 'resend' — at a destination
that cannot de-duplicate (the send was left 'pending'), and at one that de-duplicates only
for a while once the send's first attempt is older than that."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from activation.destinations.braze.settings import braze_settings
from activation.destinations.mailchimp.settings import mailchimp_settings
from activation.errors import ActivationError
from activation.sends import run_sends
from activation.sends.runner import AFTER_CALL, GIVE_UP, SendRunResult
from activation.settings import DestinationSettings
from nudge.sends_command import sends_table
from tests.sends_helpers import (
    LOOSE_POLICY,
    METRIC,
    FakeClock,
    RecordingDestination,
    make_warehouse,
    profile_row,
    send_row,
    sql,
)

DUE = datetime(2027, 3, 2, 12, 0)
FIRST_ATTEMPT = DUE + timedelta(minutes=5)
LATE_OK = {**LOOSE_POLICY, "max_send_lateness_hours": 48}
# never called: the runs here hand a RecordingDestination, or plan without any client
MAILCHIMP = mailchimp_settings(
    {"MAILCHIMP_API_KEY": "k-us21", "MAILCHIMP_BASE_URL": "http://127.0.0.1:9/3.0"}
)
BRAZE_TRANSACTIONAL = braze_settings(
    {
        "BRAZE_BASE_URL": "http://127.0.0.1:9",
        "BRAZE_API_KEY": "k",
        "BRAZE_TRANSACTIONAL_CAMPAIGNS": f"{METRIC}=cmp-cart",
    }
)


def crash_after_the_call(name: str) -> None:
    if name == AFTER_CALL:
        raise ActivationError("killed after the ESP call, before the ledger write")


def interrupted(
    tmp_path: Path, settings: DestinationSettings, esp: RecordingDestination, clock: FakeClock
) -> Path:
    """c-00's send, called once and left 'pending' by a crash."""
    wh = make_warehouse(
        tmp_path / "w.duckdb", [send_row("c-00", due=DUE)], [profile_row("c-00")], policy=LATE_OK
    )
    with pytest.raises(ActivationError):
        run_sends(wh, settings, destination=esp, clock=clock, checkpoint=crash_after_the_call)  # type: ignore[arg-type]
    assert sql(wh, "select status from activation.send_ledger") == [("pending",)]
    return wh


def actions(plan: SendRunResult) -> dict[str, tuple[str, str | None]]:
    return {p.contact_id: (p.action, p.reason) for p in plan.planned}


def test_a_dry_run_at_a_destination_without_de_duplication_shows_the_give_up(
    tmp_path: Path,
) -> None:
    clock = FakeClock(FIRST_ATTEMPT)
    esp = RecordingDestination(clock)
    esp.idempotent_events = False  # as Mailchimp's client
    wh = interrupted(tmp_path, MAILCHIMP, esp, clock)
    clock.advance(timedelta(minutes=15))

    # no client handed: the plan reads Mailchimp's spec (no de-duplication)
    plan = run_sends(wh, MAILCHIMP, dry_run=True, clock=clock)

    ((action, reason),) = actions(plan).values()
    assert action == GIVE_UP
    assert reason is not None and "cannot de-duplicate" in reason
    assert (plan.to_send, plan.failed) == (0, 1)
    shown = Console(width=200, record=True)
    shown.print(sends_table(plan, None))
    assert re.search(r"would be given up \(.*\)\s+│\s+1 │", shown.export_text())

    real = run_sends(wh, MAILCHIMP, destination=esp, clock=clock)  # type: ignore[arg-type]
    assert (real.sent, real.failed, esp.calls) == (0, 1, 1)
    assert sql(wh, "select status_reason, last_error from activation.send_ledger") == [
        ("outcome_unknown", reason)
    ]


@pytest.mark.parametrize(
    ("later", "expected"), [(timedelta(hours=23), "resend"), (timedelta(hours=25), GIVE_UP)]
)
def test_a_dry_run_shows_the_give_up_beyond_the_de_duplication_window(
    tmp_path: Path, later: timedelta, expected: str
) -> None:
    clock = FakeClock(FIRST_ATTEMPT)
    esp = RecordingDestination(clock, deduplication_window=timedelta(hours=24))
    wh = interrupted(tmp_path, BRAZE_TRANSACTIONAL, esp, clock)
    clock.advance(later)

    # no client handed: the plan reads Braze's spec (transactional campaigns: 24 h)
    plan = run_sends(wh, BRAZE_TRANSACTIONAL, dry_run=True, clock=clock)

    ((action, reason),) = actions(plan).values()
    assert action == expected
    assert (plan.to_send, plan.failed) == ((1, 0) if expected == "resend" else (0, 1))
    if expected == GIVE_UP:
        assert reason is not None and "more than 24 h ago" in reason
    real = run_sends(wh, BRAZE_TRANSACTIONAL, destination=esp, clock=clock)  # type: ignore[arg-type]
    assert (real.sent, real.failed) == (plan.to_send, plan.failed)
