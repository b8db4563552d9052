"""Repeated interruptions make progress: under a slow ESP (Klaviyo's sandbox answering each
event after 50 ms) the send runner is started again and again and killed with SIGKILL a
random 30 to 40 event POSTs into its run (counted at the ESP, so a loaded machine changes
nothing), at least 20 times. Outcomes are written as calls return (in small groups of at
most 25), so every restart delivers events no earlier run delivered — written per batch of
100, each restart re-posted the same batch — and a last run that is left to finish finds
exactly one event per send. For a destination without an idempotency key, sends are
written 'pending' call by call: an interruption gives up at most the send in flight, and no
send is posted twice.

The subprocess and its crash points are tests/test_sends_crash.py's."""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from activation.destinations.klaviyo.client import KlaviyoDestination
from activation.destinations.klaviyo.sandbox import SandboxHandle, start_sandbox
from tests.killable_runs import preloaded_forkserver
from tests.sends_helpers import (
    API_KEY,
    events_by_unique_id,
    invalid_requests,
    ledger,
    make_warehouse,
    profile_row,
    send_row,
)
from tests.test_sends_crash import MODULE as CRASH_MODULE
from tests.test_sends_crash import start_child

CALL_DELAY = 0.05  # a slow ESP: each event answered after 50 ms
KILL_AFTER_POSTS = (30, 40)  # event POSTs of the run before it is killed
KILLS = 20
SENDS = 900  # more than 20 killed runs can deliver
BATCH_ROWS = 100  # the runner's default


class NoDedupKlaviyo(KlaviyoDestination):
    """Klaviyo as a destination without an idempotency key would be used."""

    idempotent_events = False


@pytest.fixture(scope="module", autouse=True)
def forkserver() -> Iterator[None]:
    with preloaded_forkserver([CRASH_MODULE, "tests.test_sends_progress"]):
        yield


@pytest.fixture
def slow_sandbox() -> Iterator[SandboxHandle]:
    with start_sandbox(API_KEY) as handle:
        handle.inject_fault(
            status=None, method="POST", path="^/api/events$", delay=CALL_DELAY, times=None
        )
        yield handle


def posts(sandbox: SandboxHandle) -> list[str]:
    """The unique_id of every event POST the sandbox received, repeats included."""
    return [
        r["body"]["data"]["attributes"]["unique_id"]
        for r in sandbox.requests()
        if r["method"] == "POST" and r["path"] == "/api/events"
    ]


def run_killed(
    warehouse: Path, sandbox: SandboxHandle, rng: random.Random, destination: str | None = None
) -> bool:
    """Start the runner, kill it once it has posted a random number of events; False if it
    finished first."""
    kill_at = len(posts(sandbox)) + rng.randint(*KILL_AFTER_POSTS)
    child = start_child(
        warehouse, sandbox.base_url, crash_at=0, batch_rows=BATCH_ROWS, destination=destination
    )
    while len(posts(sandbox)) < kill_at and child.poll() is None:
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    return child.wait(timeout=60) == -signal.SIGKILL


def finish(warehouse: Path, sandbox: SandboxHandle, destination: str | None = None) -> None:
    """A last run, left to finish (with the ESP at full speed again: a shorter test)."""
    sandbox.clear_faults()
    child = start_child(warehouse, sandbox.base_url, crash_at=0, destination=destination)
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, err
    assert out.split()[0] in ("success", "partial"), out


def sends_warehouse(warehouse: Path) -> list[str]:
    contacts = [f"c-{i:03d}" for i in range(SENDS)]
    make_warehouse(warehouse, [send_row(c) for c in contacts], [profile_row(c) for c in contacts])
    return [send_row(c)["send_key"] for c in contacts]


def test_every_restart_under_a_slow_esp_delivers_something_new(
    warehouse: Path, slow_sandbox: SandboxHandle
) -> None:
    keys = sends_warehouse(warehouse)
    rng = random.Random(20261213)
    kills, delivered = 0, 0
    while kills < KILLS:
        assert run_killed(warehouse, slow_sandbox, rng), "the run ended before it was killed"
        kills += 1
        now_delivered = len(events_by_unique_id(slow_sandbox))
        assert now_delivered > delivered, f"restart {kills} delivered nothing new"
        delivered = now_delivered
    assert delivered < SENDS  # every run was killed mid-way
    finish(warehouse, slow_sandbox)

    assert events_by_unique_id(slow_sandbox) == dict.fromkeys(keys, 1)
    assert {row[0] for row in ledger(warehouse).values()} == {"sent"}
    # a restart repeats only what the killed run had not written yet: far from the
    # batch-sized repeats of outcomes written per batch
    repeated = len(posts(slow_sandbox)) - SENDS
    assert repeated < SENDS / 2, repeated
    assert invalid_requests(slow_sandbox) == []


def test_without_de_duplication_an_interruption_gives_up_only_the_send_in_flight(
    warehouse: Path, slow_sandbox: SandboxHandle
) -> None:
    keys = sends_warehouse(warehouse)
    destination = "tests.test_sends_progress:NoDedupKlaviyo"
    rng = random.Random(7)
    kills = 0
    while kills < KILLS // 2:
        assert run_killed(warehouse, slow_sandbox, rng, destination)
        kills += 1
    finish(warehouse, slow_sandbox, destination)

    posted = posts(slow_sandbox)
    assert len(posted) == len(set(posted)), "a send was posted twice"
    rows = ledger(warehouse)
    given_up = {key for key in keys if rows[key][:2] == ("failed", "outcome_unknown")}
    assert {rows[key][0] for key in set(keys) - given_up} == {"sent"}
    assert 0 < len(given_up) <= kills  # at most the one send in flight per interruption
    lost = given_up - set(posted)  # given up before its call went out
    assert set(events_by_unique_id(slow_sandbox)) == set(keys) - lost
