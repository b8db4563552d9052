"""The generic signed webhook against a receiver built from its contract: a declared
audience synced with ``run_sync``, signatures and replay protection, idempotency keys,
per-record rejections, 429 with Retry-After, and a wrong secret."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from activation.destinations.base import EventRecord
from activation.destinations.webhook.client import WebhookDestination, signature
from activation.destinations.webhook.sandbox import WebhookReceiverApp, start_webhook_receiver
from activation.destinations.webhook.sandbox.app import TOLERANCE_SECONDS
from activation.destinations.webhook.settings import webhook_settings
from activation.errors import ActivationError, ConfigurationError
from activation.sandbox.framework import SandboxHandle
from activation.sends.runner import run_sends
from activation.settings import DestinationSettings, RetryPolicy
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
from tests.sends_helpers import ledger, nudge, profile_row, send_row
from tests.sends_helpers import make_warehouse as make_sends_warehouse

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
def server() -> Iterator[SandboxHandle]:
    with start_webhook_receiver(SECRET, reject_emails=("person.009@example.com",)) as handle:
        yield handle


def app(server: SandboxHandle) -> WebhookReceiverApp:
    assert isinstance(server.app, WebhookReceiverApp)
    return server.app


def settings(server: SandboxHandle, secret: str = SECRET) -> DestinationSettings:
    env = {"NUDGE_WEBHOOK_URL": f"{server.base_url}/hooks/nudge", "NUDGE_WEBHOOK_SECRET": secret}
    return webhook_settings(env, retry=RetryPolicy(backoff_base=0.01, backoff_max=0.05))


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return make_warehouse(tmp_path / "nudge.duckdb", AUDIENCE)


def keys(warehouse: Path) -> set[str]:
    return {row[1].lower() for row in audience(warehouse).values()}


def test_a_declared_audience_is_mirrored_and_a_rerun_posts_nothing(
    server: SandboxHandle, warehouse: Path
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


def test_every_post_is_signed_timestamped_and_keyed(server: SandboxHandle) -> None:
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


def test_a_429_waits_for_retry_after(server: SandboxHandle, warehouse: Path) -> None:
    server.inject_fault(429, retry_after=1, times=1)
    result = run_sync(declaration(SYNC), warehouse, settings(server))
    assert (result.rate_limited, result.added) == (1, AUDIENCE)
    log = server.requests()
    throttled = next(entry for entry in log if entry["status"] == 429)
    assert all(e["time"] >= throttled["time"] + 1.0 for e in log if e["seq"] > throttled["seq"])
    assert app(server).lists[LIST_NAME] == keys(warehouse) - {"person.009@example.com"}


def test_a_wrong_secret_is_a_clear_error_without_the_secret(
    server: SandboxHandle, warehouse: Path, caplog: pytest.LogCaptureFixture
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


# ------------------------------------------------------------------ the signature contract

CONTRACT = Path(__file__).resolve().parents[1] / "docs" / "webhook_contract.md"


def signed(body: bytes, *, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    timestamp = str(int(time.time() if at is None else at))
    return {
        "Content-Type": "application/json",
        "X-Nudge-Timestamp": timestamp,
        "X-Nudge-Signature": signature(secret, timestamp, body),
        "Idempotency-Key": hashlib.sha256(body + timestamp.encode()).hexdigest(),
    }


def track_body(unique_id: str) -> bytes:
    record = {"key": unique_id, "email": "a@example.com", "unique_id": unique_id}
    return json.dumps({"id": unique_id, "type": "events.track", "records": [record]}).encode()


def test_the_receiver_accepts_only_a_fresh_signature_of_the_body_as_sent(
    server: SandboxHandle,
) -> None:
    url = f"{server.base_url}/hooks/nudge"
    body = track_body("good")
    assert requests.post(url, data=body, headers=signed(body), timeout=10).status_code == 200

    refused = {
        "tampered body": (track_body("evil"), signed(body)),
        "wrong secret": (body, signed(body, secret="whsec-someone-else")),
        "stale": (body, signed(body, at=time.time() - TOLERANCE_SECONDS - 5)),
        "from the future": (body, signed(body, at=time.time() + TOLERANCE_SECONDS + 5)),
        "signature of another timestamp": (
            body,
            {**signed(body, at=time.time() - 600), "X-Nudge-Timestamp": str(int(time.time()))},
        ),
        "no signature": (body, {**signed(body), "X-Nudge-Signature": ""}),
        "signature without its version": (
            body,
            {**signed(body), "X-Nudge-Signature": signed(body)["X-Nudge-Signature"][3:]},
        ),
    }
    for why, (data, headers) in refused.items():
        answer = requests.post(url, data=data, headers=headers, timeout=10)
        assert answer.status_code == 401, why
    assert list(app(server).events) == ["good"]  # nothing refused was applied


def documented_verify() -> Callable[..., bool]:
    """The receiver example of docs/webhook_contract.md, run as written."""
    (code,) = re.findall(r"```python\n(.*?)```", CONTRACT.read_text(), re.DOTALL)
    namespace: dict[str, object] = {}
    exec(compile(code, str(CONTRACT), "exec"), namespace)
    verify = namespace["verify"]
    assert callable(verify)
    return verify


def test_the_documented_receiver_example_verifies_what_the_destination_sends(
    server: SandboxHandle,
) -> None:
    verify = documented_verify()
    destination = WebhookDestination(settings(server))
    captured: list[requests.PreparedRequest] = []
    destination.client.session.hooks["response"].append(
        lambda response, *args, **kwargs: captured.append(response.request)
    )
    assert destination.track_events([event("a")]).succeeded == ["a"]
    destination.close()
    (sent,) = captured
    body = sent.body if isinstance(sent.body, bytes) else str(sent.body).encode()
    headers = dict(sent.headers)
    sent_at = int(headers["X-Nudge-Timestamp"])

    assert verify(SECRET, headers, body)
    assert not verify(SECRET, headers, body.replace(b"send-a", b"send-b"))
    assert not verify("whsec-someone-else", headers, body)
    assert not verify(SECRET, headers, body, now=sent_at + TOLERANCE_SECONDS + 1)
    assert verify(SECRET, headers, body, now=sent_at + TOLERANCE_SECONDS)


# ------------------------------------------------------------------ plain http endpoints

# a loopback address that is not one of the local names: stands for another machine
OTHER_HOST = "127.0.0.2"


@pytest.fixture
def remote_server() -> Iterator[SandboxHandle]:
    with SandboxHandle(WebhookReceiverApp(SECRET), host=OTHER_HOST) as handle:
        yield handle


def remote_env(server: SandboxHandle, **extra: str) -> dict[str, str]:
    return {
        "NUDGE_WEBHOOK_URL": f"{server.base_url}/hooks/nudge",
        "NUDGE_WEBHOOK_SECRET": SECRET,
        **extra,
    }


def test_plain_http_to_another_host_is_refused_naming_the_fix(
    remote_server: SandboxHandle,
) -> None:
    assert remote_server.base_url.startswith(f"http://{OTHER_HOST}:")
    with pytest.raises(ConfigurationError) as refused:
        webhook_settings(remote_env(remote_server))
    message = str(refused.value)
    assert f"plain http:// to '{OTHER_HOST}'" in message
    assert "https://" in message and "NUDGE_WEBHOOK_ALLOW_INSECURE_HTTP=true" in message
    assert SECRET not in message
    with pytest.raises(ConfigurationError, match="must be true or false"):
        webhook_settings(remote_env(remote_server, NUDGE_WEBHOOK_ALLOW_INSECURE_HTTP="maybe"))

    # settings made some other way: the destination refuses them before any call
    local = webhook_settings(remote_env(remote_server, NUDGE_WEBHOOK_ALLOW_INSECURE_HTTP="true"))
    insecure = dataclasses.replace(
        local, options=dataclasses.replace(local.options, allow_insecure_http=False)
    )
    with pytest.raises(ConfigurationError, match="NUDGE_WEBHOOK_ALLOW_INSECURE_HTTP"):
        WebhookDestination(insecure)
    assert remote_server.requests() == []


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]"])
def test_plain_http_to_this_machine_needs_no_opt_in(host: str) -> None:
    env = {"NUDGE_WEBHOOK_URL": f"http://{host}:8080/hook", "NUDGE_WEBHOOK_SECRET": SECRET}
    assert webhook_settings(env).base_url == f"http://{host}:8080/hook"
    assert webhook_settings({**env, "NUDGE_WEBHOOK_URL": "https://hooks.example.com/n"})


def test_the_cli_refuses_plain_http_before_any_call_and_the_opt_in_sends(
    tmp_path: Path, remote_server: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    contacts = ["c1", "c2"]
    warehouse = make_sends_warehouse(
        tmp_path / "nudge.duckdb",
        [send_row(c) for c in contacts],
        [profile_row(c) for c in contacts],
    )
    monkeypatch.setenv("NUDGE_SENDS_DESTINATION", "webhook")
    for variable, value in remote_env(remote_server).items():
        monkeypatch.setenv(variable, value)

    code, output = nudge("sync", "triggered_sends", "--warehouse", str(warehouse))
    assert code == 2
    assert "ConfigurationError: NUDGE_WEBHOOK_URL is plain http://" in output
    assert "NUDGE_WEBHOOK_ALLOW_INSECURE_HTTP=true" in output and "Traceback" not in output
    assert remote_server.requests() == [] and ledger(warehouse) == {}

    monkeypatch.setenv("NUDGE_WEBHOOK_ALLOW_INSECURE_HTTP", "true")
    code, output = nudge("sync", "triggered_sends", "--warehouse", str(warehouse))
    assert code == 0, output
    receiver = remote_server.app
    assert isinstance(receiver, WebhookReceiverApp) and len(receiver.events) == len(contacts)
    assert {row[0] for row in ledger(warehouse).values()} == {"sent"}


def test_the_opt_in_lets_the_library_send_over_plain_http(
    tmp_path: Path, remote_server: SandboxHandle
) -> None:
    warehouse = make_sends_warehouse(
        tmp_path / "nudge.duckdb", [send_row("c1")], [profile_row("c1")]
    )
    opted_in = webhook_settings(remote_env(remote_server, NUDGE_WEBHOOK_ALLOW_INSECURE_HTTP="1"))
    assert run_sends(warehouse, opted_in).sent == 1
    assert len(remote_server.writes()) == 1
