"""The Klaviyo sandbox's simulation: per-endpoint rate limits (429 + Retry-After), dropped
and hung connections, simulated engagement read back through the events API, suppressions
it causes, and data-privacy deletion. Every response is checked against the OpenAPI spec
(``Api`` from tests/test_sandbox_klaviyo.py)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from activation.destinations.klaviyo.sandbox import (
    EngagementConfig,
    RateLimitConfig,
    SandboxHandle,
    start_sandbox,
)
from activation.destinations.klaviyo.sandbox.ratelimits import operation_for, operations
from activation.sandbox.framework.engagement import ENGAGEMENT_METRICS, Send, outcome
from activation.sandbox.framework.rate_limits import RateLimiter
from tests.test_sandbox_klaviyo import API_KEY, Api

SENDS = 400
SUPPRESSION_TS = "subscriptions.email.marketing.suppression.timestamp"


def track(api: Api, i: int, metric: str = "Nudge Send") -> None:
    body = {
        "data": {
            "type": "event",
            "attributes": {
                "properties": {"variant": "B" if i % 2 else "A", "trigger_key": "abandoned_cart"},
                "metric": {"data": {"type": "metric", "attributes": {"name": metric}}},
                "profile": {
                    "data": {"type": "profile", "attributes": {"email": f"p{i}@example.com"}}
                },
                "time": "2026-07-01T12:00:00Z",
                "unique_id": f"send-{i}",
            },
        }
    }
    assert api.call("POST", "/api/events", body).status_code == 202


def engagement_config() -> EngagementConfig:
    return EngagementConfig(
        seed=11,
        bounce_rate=0.05,
        open_rate=0.5,
        click_rate=0.2,
        unsubscribe_rate=0.03,
        spam_rate=0.02,
        effects={"variant:B": {"click_rate": 3.0}},
    )


@pytest.fixture(scope="module")
def engaged() -> Iterator[tuple[SandboxHandle, Api]]:
    handle = start_sandbox(API_KEY, engagement=engagement_config())
    api = Api(handle)
    for i in range(SENDS):
        track(api, i)
    yield handle, api
    handle.stop()


def engagement_of(handle: SandboxHandle) -> list[tuple[str, str, str]]:
    """(email, metric, unique_id) of every simulated engagement event."""
    emails = {p["id"]: p["email"] for p in handle.profiles()}
    return sorted(
        (emails[e["profile_id"]], e["metric_name"], str(e["unique_id"]))
        for e in handle.events()
        if e["metric_name"] in ENGAGEMENT_METRICS
    )


# ------------------------------------------------------------------ rate limits


def test_default_limits_are_klaviyos_documented_ones_from_the_spec() -> None:
    limiter = RateLimiter(operations())
    windows = {
        op: {name: (limit, seconds) for name, limit, seconds in limiter.windows(found)}
        for op, found in (
            ("profile-import", operation_for("POST", "/api/profile-import")),
            ("bulk", operation_for("POST", "/api/profile-bulk-import-jobs")),
            ("poll", operation_for("GET", "/api/profile-bulk-import-jobs/01ABC")),
            ("events", operation_for("POST", "/api/events")),
            ("create list", operation_for("POST", "/api/lists")),
            ("members", operation_for("DELETE", "/api/lists/Xy12/relationships/profiles")),
        )
        if found is not None
    }
    assert windows == {
        "profile-import": {"burst": (75, 1.0), "steady": (750, 60.0)},
        "bulk": {"burst": (10, 1.0), "steady": (150, 60.0)},
        "poll": {"burst": (10, 1.0), "steady": (150, 60.0)},
        "events": {"burst": (350, 1.0), "steady": (3500, 60.0)},
        "create list": {"burst": (10, 1.0), "steady": (150, 60.0), "daily": (150, 86400.0)},
        "members": {"burst": (10, 1.0), "steady": (150, 60.0)},
    }
    scaled = RateLimiter(operations(), RateLimitConfig(scale=0.1, period_scale=0.5))
    operation = operation_for("POST", "/api/profile-bulk-import-jobs")
    assert operation is not None
    assert scaled.windows(operation) == [("burst", 1, 0.5), ("steady", 15, 30.0)]
    with pytest.raises(ValueError, match="no such rate-limited endpoint"):
        start_sandbox(API_KEY, rate_limits=RateLimitConfig(overrides={"get_everything": {}}))


def test_over_a_limit_the_answer_is_429_with_an_integer_retry_after() -> None:
    limits = RateLimitConfig(period_scale=0.1, overrides={"get_lists": {"steady": 2}})
    with start_sandbox(API_KEY, rate_limits=limits) as sandbox:
        api = Api(sandbox)
        # 2 per fixed 6 s window: calls until the first 429 (a slow machine may cross one
        # window's end on the way, so up to 2 + 2 + 1 calls and some slack). Nothing is
        # called while the client waits, as a client honouring Retry-After would not
        ok = []
        for _ in range(12):
            answer = api.call("GET", "/api/lists")
            if answer.status_code != 200:
                break
            ok.append(answer)
        assert ok and answer.status_code == 429 and len(ok) <= 4
        assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(ok[0].headers)
        (error,) = answer.json()["errors"]
        assert (error["code"], error["title"]) == ("throttled", "Request was throttled.")
        wait = answer.headers["Retry-After"]
        assert wait.isdigit() and 1 <= int(wait) <= 6
        time.sleep(int(wait))
        assert api.call("GET", "/api/lists").status_code == 200
        assert api.call("GET", "/api/profiles").status_code == 200  # its own budget
        assert sandbox.state()["rate_limits"]["throttled"] == 1
        log = sandbox.requests()
        assert all(e["fault"]["rate_limit"] for e in log if e["status"] == 429)


def test_rate_limits_and_engagement_can_be_set_over_http() -> None:
    with start_sandbox(API_KEY, rate_limits=RateLimitConfig(enabled=False)) as sandbox:
        url = f"{sandbox.base_url}/_sandbox"
        assert requests.get(f"{url}/rate-limits", timeout=5).json()["enabled"] is False
        posted = requests.post(f"{url}/rate-limits", json={"scale": 0.5}, timeout=5)
        assert posted.json()["scale"] == 0.5 and posted.json()["enabled"] is True
        assert (
            requests.post(f"{url}/engagement", json={"open_rate": 2}, timeout=5).status_code == 400
        )
        assert requests.post(f"{url}/engagement", json={"seed": 4}, timeout=5).json()["seed"] == 4
        assert sandbox.state()["engagement"]["seed"] == 4


# ----------------------------------------------------------------------- faults


def test_a_dropped_connection_gets_no_answer_and_is_logged() -> None:
    with start_sandbox(API_KEY) as sandbox:
        api = Api(sandbox)
        sandbox.inject_fault(None, method="GET", path="^/api/lists$", drop=True)
        with pytest.raises(requests.ConnectionError):
            api.call("GET", "/api/lists")
        assert api.call("GET", "/api/lists").status_code == 200
        dropped, answered = sandbox.requests()
        assert (dropped["status"], dropped["fault"]["drop"]) == (None, True)
        assert (answered["status"], answered["fault"]) == (200, None)


def test_a_hung_request_times_the_client_out_and_is_processed_later() -> None:
    with start_sandbox(API_KEY) as sandbox:
        sandbox.inject_fault(None, method="POST", path="^/api/lists$", delay=1.0)
        session = Api(sandbox).session
        with pytest.raises(requests.Timeout):
            session.post(
                f"{sandbox.base_url}/api/lists",
                data='{"data": {"type": "list", "attributes": {"name": "late"}}}',
                headers={"Content-Type": "application/vnd.api+json"},
                timeout=0.3,
            )
        deadline = time.monotonic() + 5
        while not sandbox.lists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [found["name"] for found in sandbox.lists()] == ["late"]
        (entry,) = sandbox.requests()
        assert entry["fault"] == {"status": None, "delay": 1.0} and entry["status"] == 201


# ------------------------------------------------------------------- engagement


def test_engagement_follows_the_configured_rates_and_the_variant_effect(
    engaged: tuple[SandboxHandle, Api],
) -> None:
    handle, _ = engaged
    counts = Counter(metric for _, metric, _ in engagement_of(handle))
    delivered = counts["Received Email"]
    assert counts["Received Email"] + counts["Bounced Email"] == SENDS
    assert 0.01 < counts["Bounced Email"] / SENDS < 0.1
    assert 0.4 < counts["Opened Email"] / delivered < 0.6
    assert counts["Unsubscribed"] > 0 and counts["Marked Email as Spam"] > 0
    clicks = Counter(
        "B" if int(email[1:].split("@")[0]) % 2 else "A"
        for email, metric, _ in engagement_of(handle)
        if metric == "Clicked Email"
    )
    assert clicks["B"] > 1.8 * clicks["A"] > 0  # click rate x3 planted on variant B


def test_engagement_is_deterministic_for_a_seed_whatever_the_order() -> None:
    config = engagement_config()
    with (
        start_sandbox(API_KEY, engagement=config) as forward,
        start_sandbox(API_KEY, engagement=config) as backward,
        start_sandbox(API_KEY, engagement=EngagementConfig(seed=12)) as reseeded,
    ):
        for i in range(60):
            track(Api(forward), i)
            track(Api(backward), 59 - i)
            track(Api(reseeded), i)
        assert engagement_of(forward) == engagement_of(backward) != []
        assert engagement_of(forward) != engagement_of(reseeded)
        track(Api(forward), 3)  # the same send again: recorded once, no new engagement
        assert len(engagement_of(forward)) == len(engagement_of(backward))


def test_engagement_timing_follows_the_send() -> None:
    send = Send("p1", "a@example.com", "Nudge Send", "s-1", _at("2026-07-01T12:00:00Z"), {})
    config = EngagementConfig(seed=1, bounce_rate=0, open_rate=1, click_rate=1)
    events = outcome(config, send)
    assert [metric for metric, _ in events][:3] == [
        "Received Email",
        "Opened Email",
        "Clicked Email",
    ]
    assert all(moment > send.time for _, moment in events)
    assert [moment for _, moment in events] == sorted(moment for _, moment in events)
    instant = outcome(EngagementConfig(seed=1, bounce_rate=0, time_scale=0), send)
    assert {moment for _, moment in instant} == {send.time}
    planted = EngagementConfig(
        effects={"trigger:t1": {"open_rate": 2.0}, "variant:B": {"open_rate": 1.5}}
    )
    assert planted.rates_for("m", "B", "t1")["open_rate"] == pytest.approx(min(1.0, 0.45 * 3.0))
    assert planted.rates_for("m", "A", "t2")["open_rate"] == pytest.approx(0.45)
    with pytest.raises(ValueError, match="effect keys"):
        EngagementConfig(effects={"segment:x": {"open_rate": 2.0}})


def test_engagement_reads_back_through_metrics_and_events_with_cursor_pages(
    engaged: tuple[SandboxHandle, Api],
) -> None:
    handle, api = engaged
    metrics = {
        m["attributes"]["name"]: m["id"] for m in api.call("GET", "/api/metrics").json()["data"]
    }
    assert set(ENGAGEMENT_METRICS) | {"Nudge Send"} == set(metrics)
    opened = metrics["Opened Email"]
    pages = api.pages(
        "/api/events",
        {
            "filter": f'equals(metric_id,"{opened}")',
            "page[size]": "50",
            "sort": "datetime",
            "include": "profile,metric",
        },
    )
    events = [event for page in pages for event in page]
    expected = [e for e in handle.events() if e["metric_name"] == "Opened Email"]
    assert len(pages) > 1 and len(events) == len(expected)
    times = [event["attributes"]["datetime"] for event in events]
    assert times == sorted(times)
    assert {e["relationships"]["metric"]["data"]["id"] for e in events} == {opened}
    first = events[0]["attributes"]["event_properties"]
    assert first["$flow"] == "Nudge Send" and first["$message"].startswith("send-")
    assert first["trigger_key"] == "abandoned_cart" and first["variant"] in ("A", "B")
    included = api.call(
        "GET",
        "/api/events",
        params={"filter": f'equals(metric_id,"{opened}")', "include": "profile,metric"},
    ).json()["included"]
    assert {item["type"] for item in included} == {"profile", "metric"}
    middle = times[len(times) // 2]
    later = api.pages(
        "/api/events",
        {"filter": f'and(equals(metric_id,"{opened}"),greater-than(datetime,{middle}))'},
    )
    assert 0 < sum(len(page) for page in later) < len(events)


def test_bounces_unsubscribes_and_complaints_suppress_the_profile(
    engaged: tuple[SandboxHandle, Api],
) -> None:
    handle, api = engaged
    reasons = {"Bounced Email": "HARD_BOUNCE", "Unsubscribed": "UNSUBSCRIBE"}
    reasons["Marked Email as Spam"] = "SPAM_COMPLAINT"
    suppressed_by_engagement = {
        email for email, metric, _ in engagement_of(handle) if metric in reasons
    }
    pages = api.pages(
        "/api/profiles",
        {
            "additional-fields[profile]": "subscriptions",
            "filter": f"greater-than({SUPPRESSION_TS},2026-07-01T00:00:00Z)",
            "page[size]": "100",
        },
    )
    read_back = {p["attributes"]["email"]: p for page in pages for p in page}
    assert set(read_back) == suppressed_by_engagement
    for email, metric, _ in engagement_of(handle):
        if metric == "Bounced Email":
            marketing = read_back[email]["attributes"]["subscriptions"]["email"]["marketing"]
            assert marketing["can_receive_email_marketing"] is False
            assert [s["reason"] for s in marketing["suppression"]] in (
                ["HARD_BOUNCE"],
                ["UNSUBSCRIBE"],
                ["SPAM_COMPLAINT"],
            )


# ------------------------------------------------------------------ data privacy


def test_a_data_privacy_deletion_removes_the_profile_its_memberships_and_events() -> None:
    with start_sandbox(API_KEY) as sandbox:
        api = Api(sandbox)
        track(api, 1)
        track(api, 2)
        list_id = api.create_list("Members")
        ids = [p["id"] for p in sandbox.profiles()]
        assert (
            api.members(list_id, "/api/lists/{list_id}/relationships/profiles", "POST", ids) == 204
        )

        body: dict[str, Any] = {
            "data": {
                "type": "data-privacy-deletion-job",
                "attributes": {
                    "profile": {
                        "data": {"type": "profile", "attributes": {"email": "P1@example.com"}}
                    }
                },
            }
        }
        assert api.call("POST", "/api/data-privacy-deletion-jobs", body).status_code == 202
        assert [p["email"] for p in sandbox.profiles()] == ["p2@example.com"]
        assert [m["email"] for m in sandbox.list_members(list_id)] == ["p2@example.com"]
        assert {e["profile_id"] for e in sandbox.events()} == {sandbox.profiles()[0]["id"]}
        # unknown email: accepted, nothing deleted
        body["data"]["attributes"]["profile"]["data"]["attributes"]["email"] = "nobody@example.com"
        assert api.call("POST", "/api/data-privacy-deletion-jobs", body).status_code == 202
        assert [d["deleted_profile_id"] is not None for d in sandbox.deletions()] == [True, False]
        assert all(e["validation"] == "passed" for e in sandbox.requests())


def _at(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))
