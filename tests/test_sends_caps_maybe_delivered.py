"""The frequency caps count every email that may have reached the person: sent, left
'pending' by an interrupted call, and given up as maybe delivered ('failed', outcome_unknown:
a destination that cannot de-duplicate never gets it again, but the first call may have
delivered it). A given-up send that stopped counting would let a second email out the same
day, past the default cap of one a day."""

from __future__ import annotations

from pathlib import Path

import pytest

from activation.errors import ActivationError
from activation.sends import run_sends
from tests.sends_helpers import (
    AS_OF,
    LOOSE_POLICY,
    FakeClock,
    NotDeDuplicatingDestination,
    add_sends,
    crash_after_the_call,
    make_warehouse,
    profile_row,
    send_row,
    settings,
)

KLAVIYO = settings("http://127.0.0.1:9")  # never called: the RecordingDestination is
ONE_A_DAY = {**LOOSE_POLICY, "max_sends_per_day": 1, "max_sends_per_week": 3}


def test_a_send_given_up_as_maybe_delivered_counts_against_the_cap(tmp_path: Path) -> None:
    wh = make_warehouse(
        tmp_path / "w.duckdb", [send_row("c-1")], [profile_row("c-1")], policy=ONE_A_DAY
    )
    esp = NotDeDuplicatingDestination(FakeClock(AS_OF))
    with pytest.raises(ActivationError, match="killed after the ESP call"):
        run_sends(wh, KLAVIYO, destination=esp, clock=esp.clock, checkpoint=crash_after_the_call)
    assert run_sends(wh, KLAVIYO, destination=esp, clock=esp.clock).failed == 1  # given up
    add_sends(wh, [send_row("c-1", trigger_key="browse_abandonment")])

    later = run_sends(wh, KLAVIYO, destination=esp, clock=esp.clock)

    assert esp.deliveries == [send_row("c-1")["send_key"]]  # one email that day, not two
    assert (later.sent, later.capped_by_reason) == (0, {"max_sends_per_day": 1})
