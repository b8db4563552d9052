"""A send_key reaches the ESP at most once, ever, whatever account the settings point at. The
ledger keeps one row per (send_key, destination_target), and the target changes with the API
key (a rotated key) or the destination (moving from Mailchimp to Klaviyo): a send that an
earlier target sent, left 'pending' (an interrupted call) or gave up as maybe delivered
('failed', outcome_unknown) must not be sent again through the new one. The caps do not
stand in for this: a given-up send is not counted in them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from activation.errors import ActivationError
from activation.sends import run_sends
from activation.settings import DestinationSettings, Secret
from tests.sends_helpers import (
    AS_OF,
    LOOSE_POLICY,
    FakeClock,
    NotDeDuplicatingDestination,
    RecordingDestination,
    add_sends,
    crash_after_the_call,
    make_warehouse,
    profile_row,
    send_row,
    settings,
    sql,
)

OLD = settings("http://127.0.0.1:9")  # never called: the RecordingDestination is
NEW = replace(OLD, api_key=Secret("pk_rotated_9d2f"))  # the same account, a rotated key
# the project's default caps: one email a day, three a week
DEFAULT_CAPS = {**LOOSE_POLICY, "max_sends_per_day": 1, "max_sends_per_week": 3}


def sent(wh: Path, esp: RecordingDestination, old: DestinationSettings) -> None:
    run_sends(wh, old, destination=esp, clock=esp.clock)


def left_pending(wh: Path, esp: RecordingDestination, old: DestinationSettings) -> None:
    with pytest.raises(ActivationError, match="killed after the ESP call"):
        run_sends(wh, old, destination=esp, clock=esp.clock, checkpoint=crash_after_the_call)


def given_up(wh: Path, esp: RecordingDestination, old: DestinationSettings) -> None:
    left_pending(wh, esp, old)
    assert run_sends(wh, old, destination=esp, clock=esp.clock).failed == 1


@pytest.mark.parametrize(
    ("earlier", "status", "policy"),
    [
        (sent, "sent", LOOSE_POLICY),
        (left_pending, "pending", LOOSE_POLICY),
        (given_up, "failed", LOOSE_POLICY),
        (given_up, "failed", DEFAULT_CAPS),
    ],
)
def test_a_send_an_earlier_target_may_have_delivered_is_not_sent_through_a_new_one(
    tmp_path: Path,
    earlier: Callable[[Path, RecordingDestination, DestinationSettings], None],
    status: str,
    policy: dict[str, int],
) -> None:
    assert OLD.target != NEW.target
    wh = make_warehouse(
        tmp_path / "w.duckdb", [send_row("c-1")], [profile_row("c-1")], policy=policy
    )
    key = send_row("c-1")["send_key"]
    esp = NotDeDuplicatingDestination(FakeClock(AS_OF))

    earlier(wh, esp, OLD)
    assert esp.deliveries == [key]
    rows = sql(wh, "select destination_target, status from activation.send_ledger")
    assert rows == [(OLD.target, status)]

    result = run_sends(wh, NEW, destination=esp, clock=esp.clock)

    assert esp.deliveries == [key]  # one email, not two
    assert result.sent == 0


def test_a_send_no_target_has_attempted_still_goes_through_the_new_one(tmp_path: Path) -> None:
    wh = make_warehouse(
        tmp_path / "w.duckdb",
        [send_row("c-1")],
        [profile_row("c-1"), profile_row("c-2")],
        policy=DEFAULT_CAPS,
    )
    esp = NotDeDuplicatingDestination(FakeClock(AS_OF))
    run_sends(wh, OLD, destination=esp, clock=esp.clock)
    add_sends(wh, [send_row("c-2")])

    result = run_sends(wh, NEW, destination=esp, clock=esp.clock)

    assert result.sent == 1
    assert esp.deliveries == [send_row("c-1")["send_key"], send_row("c-2")["send_key"]]
