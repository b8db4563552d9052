"""The sandbox framework's behaviours, the same for every ESP's sandbox: injected faults
(answered in the vendor's error shape, with Retry-After, slow, dropped, or a proxy's page),
set over HTTP too; the request log (never the Authorization header); the body-size cap; and
the rate limits, for every sandbox whose vendor documents them."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from activation.destinations.braze.sandbox import start_braze
from activation.destinations.customerio.sandbox import start_customerio
from activation.destinations.klaviyo.sandbox import start_sandbox
from activation.destinations.klaviyo.sandbox.validation import SPEC_REVISION
from activation.destinations.mailchimp.sandbox import start_mailchimp
from activation.destinations.webhook.sandbox import start_webhook_receiver
from activation.sandbox.framework import RateLimitConfig, SandboxHandle
from tests.test_destination_webhook import SECRET, signed

KEY = "sandbox-framework-secret-5d1e"
JSON = "application/json"


@dataclass
class Esp:
    name: str
    start: Callable[[], SandboxHandle]
    path: str  # a write endpoint that answers a valid body with 2xx
    valid_body: Callable[[], bytes]
    headers: Callable[[bytes], dict[str, str]]  # credentials and whatever else it requires
    error_text: Callable[[dict[str, Any]], str]  # the message of the vendor's error body
    budget: str | None  # the rate-limit budget ``path`` counts against
    method: str = "POST"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _klaviyo_list() -> bytes:
    return json.dumps({"data": {"type": "list", "attributes": {"name": "framework"}}}).encode()


def _webhook_upsert() -> bytes:
    unique = uuid.uuid4().hex  # a fresh Idempotency-Key each time
    return json.dumps({"id": unique, "type": "profiles.upsert", "records": []}).encode()


ESPS = [
    Esp(
        "klaviyo",
        lambda: start_sandbox(KEY),
        "/api/lists",
        _klaviyo_list,
        lambda body: {
            "Authorization": f"Klaviyo-API-Key {KEY}",
            "revision": SPEC_REVISION,
            "Content-Type": "application/vnd.api+json",
        },
        lambda answer: str(answer["errors"][0]["detail"]),
        "create_list",
    ),
    Esp(
        "braze",
        lambda: start_braze(KEY),
        "/users/track",
        lambda: json.dumps({"attributes": [{"external_id": "u1", "first_name": "A"}]}).encode(),
        lambda body: {"Authorization": f"Bearer {KEY}", "Content-Type": JSON},
        lambda answer: str(answer["message"]),
        "users_track",
    ),
    Esp(
        "mailchimp",
        lambda: start_mailchimp(KEY, audiences=("aud1",)),
        "/3.0/lists/aud1",
        lambda: json.dumps({"members": [], "update_existing": True}).encode(),
        lambda body: {"Authorization": _basic("anyone", KEY), "Content-Type": JSON},
        lambda answer: str(answer["detail"]),
        None,
    ),
    Esp(
        "customerio",
        lambda: start_customerio("site-1", KEY),
        "/api/v1/customers/c1",
        lambda: json.dumps({"email": "c1@example.com"}).encode(),
        lambda body: {"Authorization": _basic("site-1", KEY), "Content-Type": JSON},
        lambda answer: str(answer["meta"]["error"]),
        "track_api",
        method="PUT",
    ),
    Esp(
        "webhook",
        lambda: start_webhook_receiver(SECRET),
        "/hooks/nudge",
        _webhook_upsert,
        signed,
        lambda answer: str(answer["error"]),
        None,
    ),
]
LIMITED = [esp for esp in ESPS if esp.budget is not None]


@pytest.fixture(params=ESPS, ids=[esp.name for esp in ESPS])
def esp(request: pytest.FixtureRequest) -> Esp:
    esp: Esp = request.param
    return esp


@pytest.fixture
def server(esp: Esp) -> Iterator[SandboxHandle]:
    with esp.start() as handle:
        yield handle


def call(esp: Esp, server: SandboxHandle, body: bytes | None = None, **options: Any) -> Any:
    body = esp.valid_body() if body is None else body
    url = f"{server.base_url}{esp.path}"
    return requests.request(esp.method, url, data=body, headers=esp.headers(body), **options)


SECRETS = (KEY, SECRET, base64.b64encode(f"site-1:{KEY}".encode()).decode())


# ----------------------------------------------------------------------- faults


def test_an_injected_fault_answers_in_the_vendors_shape_with_retry_after_then_stops(
    esp: Esp, server: SandboxHandle
) -> None:
    assert call(esp, server).ok
    server.inject_fault(503, method=esp.method, path=f"^{esp.path}$", retry_after=1.5)
    failed = call(esp, server)
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "2"
    assert esp.error_text(failed.json()).startswith("Injected fault: HTTP 503.")
    assert call(esp, server).ok  # times=1: used up
    assert [entry["fault"] for entry in server.requests()] == [
        None,
        {"status": 503, "retry_after": 1.5},
        None,
    ]


def test_a_fault_can_be_set_over_http_and_a_share_of_requests_hit(
    esp: Esp, server: SandboxHandle
) -> None:
    server.set_rate_limits(RateLimitConfig(enabled=False))  # 30 calls: over Klaviyo's burst
    url = f"{server.base_url}/_sandbox/faults"
    added = requests.post(url, json={"status": 500, "share": 0.5, "times": None}, timeout=5)
    assert added.json()["faults"][0]["share"] == 0.5
    statuses = [call(esp, server).status_code for _ in range(30)]
    assert 3 < statuses.count(500) < 27, statuses
    assert requests.post(url, json={"status": 200}, timeout=5).status_code == 400  # no body
    requests.delete(url, timeout=5)
    assert requests.get(url, timeout=5).json() == {"faults": []}
    assert call(esp, server).ok


def test_a_dropped_connection_gets_no_answer_and_is_logged(esp: Esp, server: SandboxHandle) -> None:
    server.inject_fault(None, drop=True)
    with pytest.raises(requests.ConnectionError):
        call(esp, server)
    assert call(esp, server).ok
    dropped, answered = server.requests()
    assert dropped["status"] is None
    assert dropped["fault"] == {"status": None, "retry_after": None, "drop": True}
    assert answered["fault"] is None and 200 <= answered["status"] < 300


def test_a_slow_answer_is_still_processed_and_a_proxy_page_is_not(
    esp: Esp, server: SandboxHandle
) -> None:
    server.inject_fault(None, delay=0.4)
    started = time.monotonic()
    assert call(esp, server).ok
    assert time.monotonic() - started >= 0.4
    server.inject_fault(200, body="<html>bad gateway page</html>")
    page = call(esp, server)
    assert (page.status_code, page.headers["Content-Type"], page.text) == (
        200,
        "text/html",
        "<html>bad gateway page</html>",
    )
    slow, proxied = server.requests()
    assert slow["fault"] == {"status": None, "delay": 0.4} and slow["status"] < 300
    assert proxied["fault"] == {"status": 200, "retry_after": None}


# ------------------------------------------------------------------ request log


def test_the_request_log_holds_each_request_but_never_its_credentials(
    esp: Esp, server: SandboxHandle
) -> None:
    body = esp.valid_body()
    answer = call(esp, server, body, params={"probe": "1"})
    (entry,) = server.requests()
    assert (entry["seq"], entry["method"], entry["path"], entry["status"]) == (
        1,
        esp.method,
        esp.path,
        answer.status_code,
    )
    assert entry["args"] == {"probe": ["1"]} and entry["query_string"] == "probe=1"
    assert entry["body"] == json.loads(body)
    assert "Authorization" not in entry["headers"]
    assert entry["headers"]["Content-Type"] == esp.headers(body)["Content-Type"]
    over_http = requests.get(f"{server.base_url}/_sandbox/requests", timeout=5).json()
    assert over_http == {"requests": [entry]}
    assert not any(secret in json.dumps(over_http) for secret in SECRETS)
    server.clear_requests()
    assert server.requests() == []


def test_a_refused_request_is_logged_with_the_vendors_error(
    esp: Esp, server: SandboxHandle
) -> None:
    body = esp.valid_body()
    headers = {**esp.headers(body), "Authorization": _basic("x", "wrong")}
    headers.pop("X-Nudge-Signature", None)
    url = f"{server.base_url}{esp.path}"
    refused = requests.request(esp.method, url, data=body, headers=headers, timeout=5)
    assert refused.status_code == 401 and esp.error_text(refused.json())
    (entry,) = server.requests()
    assert (entry["status"], entry["fault"]) == (401, None)
    assert "wrong" not in json.dumps(entry)


# --------------------------------------------------------------------- body cap


def test_a_body_over_the_cap_is_refused_with_413_in_the_vendors_shape(
    esp: Esp, server: SandboxHandle
) -> None:
    cap = server.app.max_body_bytes
    padded = esp.valid_body()[:-1] + b', "padding": "' + b"x" * cap + b'"}'
    refused = call(esp, server, padded)
    assert refused.status_code == 413
    assert esp.error_text(refused.json()) == f"The body exceeds {cap} bytes."
    assert call(esp, server).ok  # a body within the cap is handled
    assert [entry["status"] for entry in server.requests()][:1] == [413]


# ------------------------------------------------------------------ rate limits


@pytest.mark.parametrize("limited", LIMITED, ids=[esp.name for esp in LIMITED])
def test_over_a_rate_limit_requests_are_throttled_until_the_limits_change(
    limited: Esp,
) -> None:
    with limited.start() as server:
        assert limited.budget is not None
        budget = next(b for b in server.app.budgets() if b.key == limited.budget)
        shortest = min(window.seconds for window in budget.windows)
        server.set_rate_limits(  # two per window, windows of 10 minutes: no reset mid-test
            RateLimitConfig(
                period_scale=600 / shortest,
                overrides={budget.key: {window.name: 2 for window in budget.windows}},
            )
        )
        statuses = [call(limited, server).status_code for _ in range(4)]
        assert [status < 300 for status in statuses] == [True, True, False, False]
        assert statuses[2:] == [429, 429]
        throttled = [entry for entry in server.requests() if entry["status"] == 429]
        assert [entry["fault"]["rate_limit"] for entry in throttled] == [True, True]
        assert server.app.rate_limiter.describe()["throttled"] == 2
        server.set_rate_limits(RateLimitConfig(enabled=False))
        assert call(limited, server).ok


UNLIMITED = [esp for esp in ESPS if esp.budget is None]


@pytest.mark.parametrize("unlimited", UNLIMITED, ids=[esp.name for esp in UNLIMITED])
def test_a_sandbox_whose_vendor_has_no_rate_budget_refuses_limits_for_one(
    unlimited: Esp,
) -> None:
    with unlimited.start() as server:
        assert list(server.app.budgets()) == []
        with pytest.raises(ValueError, match="no such rate-limited endpoint"):
            server.set_rate_limits(RateLimitConfig(overrides={"anything": {"burst": 1}}))
        statuses = {call(unlimited, server).status_code for _ in range(20)}
        assert all(status < 300 for status in statuses)
