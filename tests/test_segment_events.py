"""Segment entries and exits as Klaviyo events (issue 16, item 2), on a hand-made
``syncs.sync_segment_events`` and the real klaviyo_segment_events declaration: each
transition arrives once (``unique_id`` = transition_key) across reruns, an outage and runs
killed with SIGKILL at random points (the crash/rerun scheme and helpers of the send tests,
tests/test_sends_crash.py and tests/sends_helpers.py)."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from activation.declarations import SyncDeclaration, load_declarations
from activation.destinations.klaviyo.sandbox import SandboxHandle, start_sandbox
from activation.destinations.klaviyo.settings import klaviyo_settings
from activation.settings import DestinationSettings, RetryPolicy
from activation.sync import EVENT_STATE_ROWS, run_sync
from nudge.paths import PROJECT_ROOT
from tests.killable_runs import KillableRun, preloaded_forkserver, start_run
from tests.sends_helpers import events_by_unique_id, invalid_requests
from tests.stamps import stamp_live
from tests.test_segment_audiences import exposure_meta, manifest

API_KEY = "pk_segment_events_91d2"
TABLE = "syncs.sync_segment_events"
COLUMNS = {
    "transition_key": "varchar",
    "segment_key": "varchar",
    "contact_id": "varchar",
    "email": "varchar",
    "transition": "varchar",
    "transitioned_at": "timestamp",
    "metric": "varchar",
}
AT = datetime(2026, 11, 20, 6, 0)
KEYS = ("high_value", "rfm_at_risk", "lapsed_customers", "new_customers", "cart_abandoners")
CALL_DELAY = 0.01  # each event answered after 10 ms: kills land mid-run

MODULE = "tests.test_segment_events"  # where a child finds sync_run (pytest names it otherwise)


def sync_run(
    checkpoint: Callable[[str], None], ready: Callable[[], None], path: str, manifest_file: str
) -> str:
    """A child's run (tests/killable_runs.py): the sync of the one declaration in
    ``manifest_file``; "<status> <added>"."""
    (declared,) = load_declarations(manifest_file)
    retry = RetryPolicy(max_attempts=5, backoff_base=0.01, backoff_max=0.05)
    settings = klaviyo_settings(retry=retry)
    ready()
    result = run_sync(declared, path, settings, checkpoint=checkpoint)
    return f"{result.status} {result.added}"


@pytest.fixture(scope="module", autouse=True)
def forkserver() -> Iterator[None]:
    with preloaded_forkserver([MODULE]):
        yield


def transition(i: int, *, moment: datetime = AT, kind: str = "entered") -> dict[str, Any]:
    key = KEYS[i % len(KEYS)]
    contact = f"c-{i:03d}"
    return {
        "transition_key": f"{key}|{contact}|{kind}|{moment:%Y-%m-%dT%H:%M:%S}",
        "segment_key": key,
        "contact_id": contact,
        "email": f"{contact}@example.com",
        "transition": kind,
        "transitioned_at": moment,
        "metric": f"{kind.capitalize()} segment: {key}",
    }


def make_warehouse(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema syncs")
        con.execute("create schema segments")  # the keys the declaration may name
        con.execute("create table segments.segment_memberships (segment_key varchar)")
        con.executemany("insert into segments.segment_memberships values (?)", [[k] for k in KEYS])
        con.execute(f"create table {TABLE} ({', '.join(f'{n} {t}' for n, t in COLUMNS.items())})")
    add(path, rows)
    stamp_live(path, TABLE)
    return path


def add(path: Path, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    with duckdb.connect(str(path)) as con:
        con.executemany(
            f"insert into {TABLE} values ({', '.join('?' for _ in COLUMNS)})",
            [[row[name] for name in COLUMNS] for row in rows],
        )


def declaration() -> SyncDeclaration:
    (loaded,) = load_declarations(
        manifest(klaviyo_segment_events=exposure_meta("klaviyo_segment_events"))
    )
    return loaded


def once_each(sandbox: SandboxHandle, rows: list[dict[str, Any]]) -> None:
    counts = events_by_unique_id(sandbox)
    keys = [row["transition_key"] for row in rows]
    assert {key: counts[key] for key in keys} == dict.fromkeys(keys, 1)


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    handle = start_sandbox(API_KEY)
    yield handle
    handle.stop()
    assert invalid_requests(handle) == []  # every event matched Klaviyo's spec


@pytest.fixture
def settings(sandbox: SandboxHandle) -> DestinationSettings:
    env = {"KLAVIYO_BASE_URL": sandbox.base_url, "KLAVIYO_API_KEY": API_KEY}
    return klaviyo_settings(env, retry=RetryPolicy(max_attempts=2, backoff_base=0.01))


def test_each_transition_arrives_once_across_reruns(
    tmp_path: Path, sandbox: SandboxHandle, settings: DestinationSettings
) -> None:
    rows = [transition(i) for i in range(12)]
    path = make_warehouse(tmp_path / "nudge.duckdb", rows)
    first = run_sync(declaration(), path, settings)
    assert (first.status, first.added, first.failed) == ("success", 12, 0)
    once_each(sandbox, rows)
    event = next(e for e in sandbox.events() if e["unique_id"] == rows[1]["transition_key"])
    assert event["metric_name"] == "Entered segment: rfm_at_risk"
    assert event["properties"]["transition_key"] == rows[1]["transition_key"]
    assert event["properties"]["segment_key"] == "rfm_at_risk"

    sandbox.clear_requests()
    again = run_sync(declaration(), path, settings)
    assert (again.added, again.unchanged) == (0, 12)
    assert [r for r in sandbox.requests() if r["method"] == "POST"] == []

    later = AT + timedelta(hours=1)
    exits = [transition(i, moment=later, kind="exited") for i in range(3)]
    add(path, exits)
    third = run_sync(declaration(), path, settings)
    assert third.added == 3
    once_each(sandbox, rows + exits)
    assert len(sandbox.events()) == 15
    exited = {
        e["metric_name"] for e in sandbox.events() if e["unique_id"].endswith(f"{later:%H:%M:%S}")
    }
    assert exited == {
        "Exited segment: high_value",
        "Exited segment: rfm_at_risk",
        "Exited segment: lapsed_customers",
    }


def test_an_outage_leaves_transitions_for_the_next_run(
    tmp_path: Path, sandbox: SandboxHandle, settings: DestinationSettings
) -> None:
    rows = [transition(i) for i in range(8)]
    path = make_warehouse(tmp_path / "nudge.duckdb", rows)
    sandbox.inject_fault(status=503, method="POST", path="^/api/events$", times=None)
    down = run_sync(declaration(), path, settings)
    assert (down.status, down.failed) == ("partial", 8)
    assert all("unavailable" in reason for reason in down.errors.values())
    assert events_by_unique_id(sandbox) == {}
    sandbox.clear_faults()
    up = run_sync(declaration(), path, settings)
    assert (up.status, up.retried, up.failed) == ("success", 8, 0)
    once_each(sandbox, rows)


def start_child(path: Path, manifest_file: Path, base_url: str, crash_at: int) -> KillableRun:
    env = {**os.environ, "KLAVIYO_BASE_URL": base_url, "KLAVIYO_API_KEY": API_KEY}
    return start_run(
        f"{MODULE}:sync_run",
        [str(path), str(manifest_file)],
        env=env,
        cwd=PROJECT_ROOT,
        crash_at=crash_at,
    )


@pytest.mark.slow
def test_killed_runs_neither_lose_nor_repeat_a_transition(tmp_path: Path) -> None:
    rng = random.Random(20261205)
    path = make_warehouse(tmp_path / "nudge.duckdb", [])
    manifest_file = tmp_path / "manifest.json"
    manifest_file.write_text(
        json.dumps(manifest(klaviyo_segment_events=exposure_meta("klaviyo_segment_events")))
    )
    per_round = 20
    sent: list[dict[str, Any]] = []
    with start_sandbox(API_KEY) as sandbox:
        sandbox.inject_fault(
            status=None, method="POST", path="^/api/events$", delay=CALL_DELAY, times=None
        )
        for round_number in range(2):
            moment = AT + timedelta(hours=round_number)
            rows = [transition(i, moment=moment) for i in range(per_round)]
            add(path, rows)
            sent += rows
            # killed at a checkpoint: after an event call, or after the state write
            points = per_round + -(-per_round // EVENT_STATE_ROWS)
            child = start_child(path, manifest_file, sandbox.base_url, rng.randint(1, points))
            assert child.wait(timeout=60) == -signal.SIGKILL
            # killed after a random delay, wherever it is
            child = start_child(path, manifest_file, sandbox.base_url, 0)
            time.sleep(rng.uniform(0.0, 0.3))
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=60)
            # a run that finishes
            child = start_child(path, manifest_file, sandbox.base_url, 0)
            out, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
            assert out.split()[0] == "success", out
            once_each(sandbox, rows)
        assert len(sandbox.events()) == len(sent)
        once_each(sandbox, sent)
        assert invalid_requests(sandbox) == []
        # a transition posted more than once (after a kill) was the same event each time
        bodies: dict[str, set[str]] = {}
        for request in sandbox.requests():
            if request["method"] == "POST" and request["path"] == "/api/events":
                attributes = request["body"]["data"]["attributes"]
                bodies.setdefault(attributes["unique_id"], set()).add(json.dumps(attributes))
        assert {len(variants) for variants in bodies.values()} == {1}
