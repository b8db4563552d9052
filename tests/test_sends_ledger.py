"""The send runner and its ledger against the Klaviyo sandbox, on hand-made
``triggered_sends`` rows: every transition (pending -> sent / failed / skipped), exactly-once
across reruns, retries bounded by attempts, interrupted runs reconciled, dry runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from activation.destinations.klaviyo.client import KlaviyoDestination
from activation.destinations.klaviyo.sandbox import SandboxHandle, start_sandbox
from activation.sends import run_sends
from activation.sends.events import event_record
from activation.sends.ledger import ensure_ledger, mark_pending
from activation.sends.runner import AFTER_CALL, AFTER_PENDING, AFTER_RECORD
from activation.state import utcnow
from activation.warehouse import Warehouse
from tests.sends_helpers import (
    API_KEY,
    METRIC,
    add_sends,
    candidate,
    email,
    events_by_unique_id,
    invalid_requests,
    ledger,
    make_warehouse,
    profile_row,
    send_row,
    settings,
    sql,
)

CONTACTS = [f"c-{i:02d}" for i in range(12)]


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    with start_sandbox(API_KEY) as handle:
        yield handle


@pytest.fixture
def wh(warehouse: Path) -> Path:
    sends = [send_row(c) for c in CONTACTS]
    sends.append(send_row("c-00", series="s0", status="scheduled"))  # not due: never sent
    sends.append(send_row("c-01", series="s0", status="held_out"))
    return make_warehouse(warehouse, sends, [profile_row(c) for c in CONTACTS])


def test_due_sends_reach_klaviyo_once_and_the_ledger_says_sent(
    wh: Path, sandbox: SandboxHandle
) -> None:
    checkpoints: list[str] = []
    progress: list[tuple[int, int]] = []
    first = run_sends(
        wh,
        settings(sandbox.base_url),
        batch_rows=5,
        checkpoint=checkpoints.append,
        on_progress=lambda done, total: progress.append((done, total)),
    )
    assert (first.status, first.candidates, first.sent, first.failed) == ("success", 12, 12, 0)
    assert first.ledger == {"sent": 12}
    assert progress[-1] == (12, 12)
    # three batches, each: pending written, one call per send, outcomes written
    assert checkpoints == ([AFTER_PENDING] + [AFTER_CALL] * 5 + [AFTER_RECORD]) * 2 + (
        [AFTER_PENDING] + [AFTER_CALL] * 2 + [AFTER_RECORD]
    )
    rows = ledger(wh)
    assert set(rows) == {send_row(c)["send_key"] for c in CONTACTS}
    assert {
        (status, reason, attempts, error) for status, reason, attempts, error, _ in rows.values()
    } == {("sent", None, 1, None)}
    assert all(sent_at is not None for *_, sent_at in rows.values())

    counts = events_by_unique_id(sandbox)
    assert counts == {key: 1 for key in rows}
    event = next(e for e in sandbox.events() if e["unique_id"] == send_row("c-03")["send_key"])
    assert event["metric_name"] == METRIC
    assert event["properties"]["cart_id"] == "cart-c-03"
    assert event["properties"]["items"] == [{"name": "Mug", "price": 12.5}]
    assert {k: event["properties"][k] for k in ("trigger_key", "step", "variant", "send_key")} == {
        "trigger_key": "cart_abandonment",
        "step": 1,
        "variant": "A",
        "send_key": send_row("c-03")["send_key"],
    }
    profile = sandbox.profile(email("c-03"))
    assert profile is not None and profile["id"] == event["profile_id"]
    assert profile["external_id"] == "c-03"
    assert invalid_requests(sandbox) == []
    posts = [r for r in sandbox.requests() if r["method"] == "POST"]
    assert len(posts) == 12 and {r["path"] for r in posts} == {"/api/events"}

    # triggered_sends not rebuilt: the ledger alone keeps the rerun from sending again
    sandbox.clear_requests()
    again = run_sends(wh, settings(sandbox.base_url))
    assert (again.candidates, again.sent, again.write_calls, again.api_calls) == (0, 0, 0, 0)
    assert sandbox.requests() == []
    history = sql(
        wh, "select status, sent, candidates from activation.send_runs order by started_at"
    )
    assert history == [("success", 12, 12), ("success", 0, 0)]


def test_rejected_send_fails_alone_and_is_retried_until_the_attempt_limit(
    wh: Path, sandbox: SandboxHandle
) -> None:
    bad_payload = send_row("c-05", series="bad", payload="[1, 2]")  # not a JSON object
    add_sends(wh, [bad_payload])
    sandbox.inject_fault(status=400, method="POST", path="/api/events", times=1)
    first = run_sends(wh, settings(sandbox.base_url, max_attempts=3), max_attempts=2)
    # Klaviyo rejected the first event (a 400 is not retried): failed, the rest went on
    assert (first.status, first.sent, first.failed, first.not_attempted) == ("partial", 11, 2, 0)
    rows = ledger(wh)
    failed = {key: row for key, row in rows.items() if row[0] == "failed"}
    assert set(failed) == {send_row("c-00")["send_key"], bad_payload["send_key"]}
    assert "HTTP 400" in failed[send_row("c-00")["send_key"]][3]
    assert "JSON object" in failed[bad_payload["send_key"]][3]
    assert {row[1:3] for row in failed.values()} == {("send_failed", 1)}

    second = run_sends(wh, settings(sandbox.base_url), max_attempts=2)
    assert (second.candidates, second.sent, second.failed, second.retried) == (2, 1, 1, 2)
    assert ledger(wh)[send_row("c-00")["send_key"]][:3] == ("sent", None, 2)
    assert ledger(wh)[bad_payload["send_key"]][:3] == ("failed", "send_failed", 2)
    third = run_sends(wh, settings(sandbox.base_url), max_attempts=2)
    assert third.candidates == 0  # the bad one reached the attempt limit
    assert events_by_unique_id(sandbox) == {send_row(c)["send_key"]: 1 for c in CONTACTS}
    assert invalid_requests(sandbox) == []


def test_unavailable_klaviyo_costs_no_attempt_and_the_run_says_so(
    wh: Path, sandbox: SandboxHandle
) -> None:
    sandbox.inject_fault(status=503, method="POST", path="/api/events", times=None)
    down = run_sends(wh, settings(sandbox.base_url, max_attempts=2), batch_rows=5, max_attempts=2)
    assert down.status == "unavailable"
    # three calls found Klaviyo unavailable (2 requests each), then no more calls: every due
    # send waits, none failed
    assert (down.sent, down.failed, down.not_attempted, down.api_calls) == (0, 0, 12, 6)
    assert "HTTP 503" in (down.unavailable_reason or "")
    summary = down.unavailable_summary("klaviyo") or ""
    assert summary.startswith("12 due sends left unsent: klaviyo was unavailable (POST")
    rows = ledger(wh)
    assert len(rows) == 12
    assert {(r[0], r[1], r[2]) for r in rows.values()} == {("failed", "esp_unavailable", 0)}
    assert all("HTTP 503" in r[3] for r in rows.values())
    assert sql(wh, "select status, not_attempted from activation.send_runs") == [
        ("unavailable", 12)
    ]
    # the run's history says what the ESP did: each call's two requests answered 503, the
    # second a retry
    assert (down.server_errors, down.request_retries) == (6, 3)
    assert sql(
        wh, "select api_calls, server_errors, request_retries, timeouts from activation.send_runs"
    ) == [(6, 6, 3, 0)]
    # more runs than the attempt limit while it stays down: still nothing given up
    for _ in range(3):
        assert run_sends(wh, settings(sandbox.base_url, max_attempts=2), max_attempts=2).status == (
            "unavailable"
        )
    assert {r[2] for r in ledger(wh).values()} == {0}
    sandbox.clear_faults()
    up = run_sends(wh, settings(sandbox.base_url), max_attempts=2)
    assert (up.status, up.sent, up.retried, up.not_attempted) == ("success", 12, 12, 0)
    assert events_by_unique_id(sandbox) == {send_row(c)["send_key"]: 1 for c in CONTACTS}
    assert {r[:3] for r in ledger(wh).values()} == {("sent", None, 1)}


def test_sends_left_pending_are_sent_again_and_recorded_once(
    wh: Path, sandbox: SandboxHandle
) -> None:
    """An interrupted run leaves 'pending': whether the ESP got the event (here c-00..c-02)
    or not (c-03..c-05), the rerun re-sends under the same unique_id and Klaviyo keeps one."""
    target = settings(sandbox.base_url).target
    with Warehouse(wh) as warehouse:
        ensure_ledger(warehouse)
        pending = [candidate(c) for c in CONTACTS[:6]]
        now = utcnow()
        mark_pending(warehouse, target, pending, now)
    destination = KlaviyoDestination(settings(sandbox.base_url))
    reached = destination.track_events([event_record(row, now) for row in pending[:3]])
    destination.close()
    assert len(reached.succeeded) == 3

    rerun = run_sends(wh, settings(sandbox.base_url))
    assert (rerun.sent, rerun.resent, rerun.failed) == (12, 6, 0)
    assert events_by_unique_id(sandbox) == {send_row(c)["send_key"]: 1 for c in CONTACTS}
    assert {row[0] for row in ledger(wh).values()} == {"sent"}
    # the re-sent event carries the time first written 'pending', unchanged
    sent_again = [
        r["body"]["data"]["attributes"]["time"]
        for r in sandbox.requests()
        if r["method"] == "POST"
        and r["body"]["data"]["attributes"]["unique_id"] == pending[0].send_key
    ]
    assert len(set(sent_again)) == 1


def test_dry_run_plans_without_calling_the_api_or_writing_the_ledger(
    wh: Path, sandbox: SandboxHandle
) -> None:
    sql(
        wh,
        "update contacts.contact_profiles set is_suppressed = true,"
        " suppression_reason = 'unsubscribed' where contact_id = 'c-07'",
    )
    plan = run_sends(wh, settings(sandbox.base_url), dry_run=True, max_planned=5)
    assert (plan.status, plan.candidates, plan.to_send, plan.to_skip) == ("planned", 12, 11, 1)
    assert plan.skipped_by_reason == {"unsubscribed": 1}
    assert len(plan.planned) == 5 and plan.planned[0].action == "send"
    assert sandbox.requests() == []
    assert sql(wh, "select count(*) from activation.send_ledger") == [(0,)]

    only = run_sends(wh, settings(sandbox.base_url), trigger_key="welcome")
    assert only.candidates == 0 and sandbox.requests() == []


class _NoDedupKlaviyo(KlaviyoDestination):
    """As a destination without an idempotency key would be."""

    idempotent_events = False


def test_without_de_duplication_interrupted_sends_are_given_up_not_repeated(
    wh: Path, sandbox: SandboxHandle
) -> None:
    klaviyo = settings(sandbox.base_url)
    interrupted = [candidate(c) for c in CONTACTS[:2]]
    with Warehouse(wh) as warehouse:
        ensure_ledger(warehouse)
        mark_pending(warehouse, klaviyo.target, interrupted, utcnow())
    destination = _NoDedupKlaviyo(klaviyo)
    result = run_sends(wh, klaviyo, destination=destination, max_attempts=4)
    destination.close()
    assert (result.sent, result.failed) == (10, 2)
    rows = ledger(wh)
    for row in interrupted:
        status, reason, attempts, error, _ = rows[row.send_key]
        assert (status, reason, attempts) == ("failed", "outcome_unknown", 4)
        assert "cannot de-duplicate" in error
    assert set(events_by_unique_id(sandbox)) == {send_row(c)["send_key"] for c in CONTACTS[2:]}
    assert run_sends(wh, klaviyo, max_attempts=4).candidates == 0
