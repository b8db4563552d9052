"""The generic signed webhook against a receiver built from its contract: a declared
audience synced with ``run_sync``, signatures and replay protection, idempotency keys,
per-record rejections, 429 with Retry-After, and a wrong secret."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from activation.destinations.base import EventRecord
from activation.destinations.webhook import WebhookDestination, signature
from activation.errors import ActivationError, ConfigurationError
from activation.sandbox.contract_server import ServerHandle
from activation.sandbox.webhook import WebhookReceiverApp, start_webhook_receiver
from activation.settings import DestinationSettings, RetryPolicy, webhook_settings
from activation.sync import run_sync
from tests.contract_servers.audience import (
    LIST_NAME,
    audience,
    declaration,
    delete,
    make_warehouse,
    state_rows,
    update,
)

SECRET = "whsec-never-logged-8d41"
AUDIENCE = 24
SYNC = {
    "destination": "webhook",
    "object": "list_members",
    "mode": "mirror",
    "list_name": LIST_NAME,
    "identifier": {"column": "email"},
    "external_id": {"column": "contact_id"},
    "fields": {"attributes": {"first_name": "first_name"}, "properties": {"rfm": "rfm_segment"}},
    "batch_size": 10,
}


@pytest.fixture
def server() -> Iterator[ServerHandle]:
    with start_webhook_receiver(SECRET, reject_emails=("person.009@example.com",)) as handle:
        yield handle


def app(server: ServerHandle) -> WebhookReceiverApp:
    assert isinstance(server.app, WebhookReceiverApp)
    return server.app


def settings(server: ServerHandle, secret: str = SECRET) -> DestinationSettings:
    env = {"NUDGE_WEBHOOK_URL": f"{server.base_url}/hooks/nudge", "NUDGE_WEBHOOK_SECRET": secret}
    return webhook_settings(env, retry=RetryPolicy(backoff_base=0.01, backoff_max=0.05))


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return make_warehouse(tmp_path / "nudge.duckdb", AUDIENCE)


def keys(warehouse: Path) -> set[str]:
    return {row[1].lower() for row in audience(warehouse).values()}


def test_a_declared_audience_is_mirrored_and_a_rerun_posts_nothing(
    server: ServerHandle, warehouse: Path
) -> None:
    sync = declaration(SYNC)

    first = run_sync(sync, warehouse, settings(server))

    rejected = "person.009@example.com"
    assert (first.status, first.added, first.failed) == ("partial", AUDIENCE, 1)
    assert first.errors[rejected] == f"webhook: {rejected} is blocked here"
    assert state_rows(warehouse)[rejected][0] == "failed"
    assert app(server).lists[LIST_NAME] == keys(warehouse) - {rejected}
    profile = app(server).profiles["person.002@example.com"]
    assert profile["external_id"] == "c-002" and profile["properties"] == {"rfm": "at_risk"}
    posts = server.writes()
    assert [len(p["body"]["records"]) for p in posts] == [10, 10, 4]
    assert {p["body"]["type"] for p in posts} == {"profiles.upsert"}
    assert all(p["status"] == 200 for p in posts)

    app(server).reject_emails.clear()
    server.clear_requests()
    retried = run_sync(sync, warehouse, settings(server))
    assert (retried.retried, retried.failed, len(server.writes())) == (1, 0, 1)
    server.clear_requests()
    again = run_sync(sync, warehouse, settings(server))
    assert (again.unchanged, again.api_calls, server.requests()) == (AUDIENCE, 0, [])

    delete(warehouse, "c-000", "c-015")
    update(warehouse, "c-004", first_name="Four")
    changed = run_sync(sync, warehouse, settings(server))
    assert (changed.removed, changed.changed, changed.failed) == (2, 1, 0)
    assert app(server).lists[LIST_NAME] == keys(warehouse)
    removal = next(p for p in server.writes() if p["body"]["type"] == "list_members.remove")
    assert {r["key"] for r in removal["body"]["records"]} == {
        "person.000@example.com",
        "person.015@example.com",
    }


def test_every_post_is_signed_timestamped_and_keyed(server: ServerHandle) -> None:
    destination = WebhookDestination(settings(server))
    captured: list[requests.PreparedRequest] = []
    destination.client.session.hooks["response"].append(
        lambda response, *args, **kwargs: captured.append(response.request)
    )
    record = event("a")
    assert destination.track_events([record]).succeeded == ["a"]
    (sent,) = captured
    body = sent.body if isinstance(sent.body, bytes) else str(sent.body).encode()
    timestamp = sent.headers["X-Nudge-Timestamp"]
    assert abs(int(timestamp) - time.time()) < 5
    assert sent.headers["X-Nudge-Signature"] == signature(SECRET, timestamp, body)
    assert json.loads(body)["records"][0]["unique_id"] == "send-a"

    # the same request again (a retry whose answer was lost): answered, not applied twice
    replay = requests.post(sent.url, data=body, headers=dict(sent.headers), timeout=10)
    assert replay.status_code == 200 and app(server).replayed == 1
    assert list(app(server).events) == ["send-a"]

    # the same request long after: refused as a replay
    app(server).clock = lambda: time.time() + 600
    stale = requests.post(sent.url, data=body, headers=dict(sent.headers), timeout=10)
    assert stale.status_code == 401 and "tolerance" in stale.json()["error"]
    # a body changed in transit does not match its signature
    app(server).clock = time.time
    forged = requests.post(
        sent.url, data=body.replace(b"send-a", b"send-z"), headers=dict(sent.headers), timeout=10
    )
    assert forged.status_code == 401 and forged.json()["error"] == "signature mismatch"
    destination.close()


def event(key: str) -> EventRecord:
    return EventRecord(
        record_key=key,
        metric="abandoned_cart",
        email=f"{key}@example.com",
        external_id=f"c-{key}",
        properties={"cart_value": 10.0},
        time="2026-11-30T10:00:00+00:00",
        value=10.0,
        unique_id=f"send-{key}",
    )


def test_a_429_waits_for_retry_after(server: ServerHandle, warehouse: Path) -> None:
    server.inject_fault(429, retry_after=1, times=1)
    result = run_sync(declaration(SYNC), warehouse, settings(server))
    assert (result.rate_limited, result.added) == (1, AUDIENCE)
    log = server.requests()
    throttled = next(entry for entry in log if entry["status"] == 429)
    assert all(e["time"] >= throttled["time"] + 1.0 for e in log if e["seq"] > throttled["seq"])
    assert app(server).lists[LIST_NAME] == keys(warehouse) - {"person.009@example.com"}


def test_a_wrong_secret_is_a_clear_error_without_the_secret(
    server: ServerHandle, warehouse: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "whsec-wrong-0000"
    with pytest.raises(ActivationError) as refused:
        run_sync(declaration(SYNC), warehouse, settings(server, wrong))
    assert "HTTP 401" in str(refused.value) and "signature mismatch" in str(refused.value)
    for text in (str(refused.value), caplog.text, repr(server.requests())):
        assert wrong not in text and SECRET not in text


def test_missing_settings_name_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="NUDGE_WEBHOOK_URL is not set"):
        webhook_settings({"NUDGE_WEBHOOK_SECRET": "s"})
    with pytest.raises(ConfigurationError, match="NUDGE_WEBHOOK_SECRET is not set"):
        webhook_settings({"NUDGE_WEBHOOK_URL": "https://example.com/hook"})
    with pytest.raises(ConfigurationError, match="must start with http"):
        webhook_settings({"NUDGE_WEBHOOK_URL": "example.com", "NUDGE_WEBHOOK_SECRET": "s"})
