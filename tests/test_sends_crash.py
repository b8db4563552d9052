"""Kill the send process at random points and rerun it: no triggered send is lost or
delivered twice (docs/contracts/behaviors.md: "A send_key reaches the ESP at most once").

Each round adds 30 due sends, then runs the send runner in a process of its own killed with
SIGKILL twice: once at an injected crash point picked at random among every point it passes
(after the ledger's 'pending' write, after each API call, after the outcome write), once
after a random delay (anywhere: mid-HTTP request, mid-DuckDB commit). A third run finishes.
The sandbox then holds exactly one event per send_key and the ledger says 'sent'. At least
10 rounds, more until 20 runs were killed mid-way (a delayed kill can miss a quick run).
"""

from __future__ import annotations

import importlib
import json
import math
import os
import random
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from activation.destinations.klaviyo.sandbox import SandboxHandle, start_sandbox
from activation.destinations.klaviyo.settings import klaviyo_settings
from activation.sends import run_sends
from activation.settings import RetryPolicy
from nudge.paths import PROJECT_ROOT
from tests.killable_runs import KillableRun, preloaded_forkserver, start_run
from tests.sends_helpers import (
    API_KEY,
    add_sends,
    events_by_unique_id,
    invalid_requests,
    ledger,
    make_warehouse,
    profile_row,
    send_row,
)

MIN_ROUNDS, MAX_ROUNDS = 10, 20  # rounds go on until at least 20 runs were killed
MIN_KILLS = 20
SENDS_PER_ROUND = 30
BATCH_ROWS = 7
CALL_DELAY = 0.01  # the sandbox answers each event after 10 ms: kills land mid-run
MODULE = "tests.test_sends_crash"  # where a child finds send_run (pytest names it otherwise)


def send_run(
    checkpoint: Callable[[str], None],
    ready: Callable[[], None],
    warehouse: str,
    batch_rows: int,
    destination: str,
) -> str:
    """A child's run (tests/killable_runs.py): the send runner, through ``destination``
    ("module:Class", built with the settings) if given; "<status> <sent>"."""
    retry = RetryPolicy(max_attempts=5, backoff_base=0.01, backoff_max=0.05)
    settings = klaviyo_settings(retry=retry)
    through = None
    if destination:
        module, name = destination.split(":")
        through = getattr(importlib.import_module(module), name)(settings)
    ready()
    result = run_sends(
        warehouse, settings, batch_rows=batch_rows, checkpoint=checkpoint, destination=through
    )
    return f"{result.status} {result.sent}"


@pytest.fixture(scope="module", autouse=True)
def forkserver() -> Iterator[None]:
    with preloaded_forkserver([MODULE]):
        yield


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    with start_sandbox(API_KEY) as handle:
        handle.inject_fault(
            status=None, method="POST", path="^/api/events$", delay=CALL_DELAY, times=None
        )
        yield handle


def start_child(
    warehouse: Path,
    base_url: str,
    crash_at: int,
    *,
    batch_rows: int = BATCH_ROWS,
    destination: str | None = None,
) -> KillableRun:
    """The send runner in a process of its own (killed at its ``crash_at``-th checkpoint;
    0: never), sending to the sandbox at ``base_url``, or through ``destination``."""
    env = {**os.environ, "KLAVIYO_BASE_URL": base_url, "KLAVIYO_API_KEY": API_KEY}
    return start_run(
        f"{MODULE}:send_run",
        [str(warehouse), batch_rows, destination or ""],
        env=env,
        cwd=PROJECT_ROOT,
        crash_at=crash_at,
    )


def crash_points(unsettled: int) -> int:
    """Checkpoints a run passes for ``unsettled`` sends: per batch, pending + calls + outcome."""
    return unsettled + 2 * math.ceil(unsettled / BATCH_ROWS)


def unsettled(warehouse: Path, keys: list[str]) -> int:
    rows = ledger(warehouse)
    return sum(1 for key in keys if rows.get(key, ("none",))[0] != "sent")


def test_killed_send_runs_neither_lose_nor_repeat_a_send(
    warehouse: Path, sandbox: SandboxHandle
) -> None:
    rng = random.Random(20261201)
    contacts = [f"c-{i:02d}" for i in range(SENDS_PER_ROUND)]
    wh = make_warehouse(warehouse, [], [profile_row(c) for c in contacts])
    all_keys: list[str] = []
    kills = {"crash point": 0, "random delay": 0}
    rounds = 0
    while rounds < MIN_ROUNDS or (sum(kills.values()) < MIN_KILLS and rounds < MAX_ROUNDS):
        round_number = rounds
        rounds += 1
        sends = [send_row(c, series=f"r{round_number}") for c in contacts]
        add_sends(wh, sends)
        keys = [row["send_key"] for row in sends]
        all_keys += keys

        # 1. killed at an injected crash point, picked among those this run will pass
        point = rng.randint(1, crash_points(unsettled(wh, keys)))
        child = start_child(wh, sandbox.base_url, crash_at=point)
        assert child.wait(timeout=60) == -signal.SIGKILL
        kills["crash point"] += 1

        # 2. killed after a random delay, wherever it is
        child = start_child(wh, sandbox.base_url, crash_at=0)
        time.sleep(rng.uniform(0.0, 0.3))
        child.send_signal(signal.SIGKILL)
        if child.wait(timeout=60) == -signal.SIGKILL:
            kills["random delay"] += 1

        # 3. a run that finishes
        child = start_child(wh, sandbox.base_url, crash_at=0)
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        assert out.split()[0] == "success", out

        counts = events_by_unique_id(sandbox)
        assert {key: counts[key] for key in keys} == {key: 1 for key in keys}, (
            f"round {round_number}: a send was lost or repeated"
        )
        rows = ledger(wh)
        assert {rows[key][0] for key in keys} == {"sent"}

    print(f"{rounds} rounds, kills: {kills}")  # shown with pytest -s
    assert kills["crash point"] == rounds
    assert sum(kills.values()) >= MIN_KILLS, kills  # runs killed mid-way
    counts = events_by_unique_id(sandbox)
    assert sorted(counts) == sorted(all_keys)
    assert set(counts.values()) == {1}
    assert len(sandbox.events()) == rounds * SENDS_PER_ROUND
    assert invalid_requests(sandbox) == []
    # a send posted more than once (after a kill) was the same event each time, so the
    # ESP's unique_id de-duplication applies: same profile, metric, time and properties
    bodies: dict[str, set[str]] = {}
    for request in sandbox.requests():
        if request["method"] == "POST" and request["path"] == "/api/events":
            attributes = request["body"]["data"]["attributes"]
            bodies.setdefault(attributes["unique_id"], set()).add(json.dumps(attributes))
    assert sorted(bodies) == sorted(all_keys)
    assert {len(variants) for variants in bodies.values()} == {1}
