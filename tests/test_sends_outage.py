"""An ESP outage loses nothing: Klaviyo (the sandbox) answers 503 to every event for six
scheduled runs two hours apart, then recovers. No run gives a send up: a retryable failure
costs no attempt, the send waits ('failed', esp_unavailable) and each run says how many due
sends it left unsent (status 'unavailable'). After the recovery every send still inside
its lateness window arrives exactly once; those the outage made too late are 'expired' by
the send-time gate and never sent. The CLI exits non-zero with a one-line summary."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from activation.destinations.klaviyo.sandbox import SandboxHandle, start_sandbox
from activation.sends import run_sends
from tests.sends_helpers import (
    API_KEY,
    AS_OF,
    FakeClock,
    cli_sandbox,
    events_by_unique_id,
    invalid_requests,
    ledger,
    make_warehouse,
    nudge,
    profile_row,
    send_row,
    settings,
)

DOWN_RUNS = 6
EVERY = timedelta(hours=2)  # the runs' schedule while Klaviyo is down
ON_TIME = [f"on-{i:02d}" for i in range(12)]  # due 30 minutes before the outage
STALE = [f"old-{i:02d}" for i in range(4)]  # due 20 h before: past 24 h during the outage


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    with start_sandbox(API_KEY) as handle:
        yield handle


def test_six_runs_of_outage_then_every_send_on_time_arrives_once(
    warehouse: Path, sandbox: SandboxHandle
) -> None:
    sends = [send_row(c) for c in ON_TIME]
    sends += [send_row(c, due=AS_OF - timedelta(hours=20)) for c in STALE]
    make_warehouse(warehouse, sends, [profile_row(c) for c in ON_TIME + STALE])
    on_time = {send_row(c)["send_key"] for c in ON_TIME}
    stale = {send_row(c)["send_key"] for c in STALE}
    klaviyo = settings(sandbox.base_url, max_attempts=2)
    clock = FakeClock(AS_OF)

    sandbox.inject_fault(status=503, method="POST", path="^/api/events$", times=None)
    for run in range(DOWN_RUNS):
        down = run_sends(warehouse, klaviyo, batch_rows=5, clock=clock)
        late = clock.now - (AS_OF - timedelta(hours=20)) > timedelta(hours=24)
        waiting = len(ON_TIME) + (0 if late else len(STALE))
        assert (down.status, down.sent, down.failed) == ("unavailable", 0, 0), run
        assert down.not_attempted == waiting, run
        assert down.expired == (len(STALE) if late and run == 3 else 0), run
        rows = ledger(warehouse)
        assert {rows[key][:3] for key in on_time} == {("failed", "esp_unavailable", 0)}
        clock.advance(EVERY)
    assert sandbox.events() == []
    posted = [r for r in sandbox.requests() if r["path"] == "/api/events"]
    assert len(posted) == DOWN_RUNS * 3 * 2  # 3 calls a run (then it stops), 2 tries each

    sandbox.clear_faults()
    up = run_sends(warehouse, klaviyo, batch_rows=5, clock=clock)
    assert (up.status, up.sent, up.retried, up.not_attempted) == (
        "success",
        len(ON_TIME),
        len(ON_TIME),
        0,
    )
    assert events_by_unique_id(sandbox) == dict.fromkeys(on_time, 1)
    rows = ledger(warehouse)
    assert {rows[key][:3] for key in on_time} == {("sent", None, 1)}
    assert {rows[key][:2] for key in stale} == {("expired", "max_send_lateness_at_send")}
    assert run_sends(warehouse, klaviyo, clock=clock).candidates == 0
    assert invalid_requests(sandbox) == []


def test_the_cli_exits_non_zero_with_a_one_line_summary(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_warehouse(warehouse, [send_row(c) for c in ON_TIME[:3]], [profile_row(c) for c in ON_TIME])
    with cli_sandbox(monkeypatch) as handle:
        # Retry-After: 0 spares the test the client's backoff between its 5 tries
        handle.inject_fault(
            status=503, retry_after=0, method="POST", path="^/api/events$", times=None
        )
        code, out = nudge("sync", "triggered_sends", "--warehouse", str(warehouse))
        assert code == 1, out
        (line,) = [line for line in out.splitlines() if "due sends left unsent" in line]
        assert line.startswith("3 due sends left unsent: klaviyo was unavailable (POST /api/events")
        assert "unavailable" in out  # the run's status in the table

        handle.clear_faults()
        code, out = nudge("sync", "triggered_sends", "--warehouse", str(warehouse))
        assert code == 0, out
        assert "due sends left unsent" not in out
        assert set(events_by_unique_id(handle)) == {send_row(c)["send_key"] for c in ON_TIME[:3]}
