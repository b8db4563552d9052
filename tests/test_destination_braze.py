"""Braze destination against the Braze contract server: a declared audience synced with
``run_sync`` (users by external_id, list membership as an array attribute), per-row errors
from ``errors[]``, 429s, wrong keys, transactional sends de-duplicated by ``external_send_id``,
and unsubscribes read back."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from activation.destinations import build_destination
from activation.destinations.base import EventRecord
from activation.destinations.braze.client import TRACK_PATH, BrazeDestination
from activation.destinations.braze.sandbox import BrazeApp, start_braze
from activation.destinations.braze.settings import braze_settings
from activation.errors import ActivationError, ConfigurationError, DeclarationError
from activation.sandbox.framework import SandboxHandle
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

API_KEY = "braze-rest-key-never-logged-9f3e"
AUDIENCE = 24
SYNC = {
    "destination": "braze",
    "object": "list_members",
    "mode": "mirror",
    "list_name": LIST_NAME,
    "identifier": {"column": "email"},
    "external_id": {"column": "contact_id"},
    "fields": {
        "attributes": {"first_name": "first_name", "last_name": "last_name"},
        "properties": {"rfm_segment": "rfm_segment", "orders_count": "orders_count"},
    },
}


@pytest.fixture
def server() -> Iterator[SandboxHandle]:
    with start_braze(API_KEY, campaigns=("cmp-cart",)) as handle:
        yield handle


def app(server: SandboxHandle) -> BrazeApp:
    assert isinstance(server.app, BrazeApp)
    return server.app


def settings(server: SandboxHandle, **env: str) -> DestinationSettings:
    variables = {"BRAZE_BASE_URL": server.base_url, "BRAZE_API_KEY": API_KEY, **env}
    return braze_settings(variables, retry=RetryPolicy(backoff_base=0.2, backoff_max=1.0))


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return make_warehouse(tmp_path / "nudge.duckdb", AUDIENCE)


def assert_mirrored(server: SandboxHandle, warehouse: Path) -> None:
    rows = audience(warehouse)
    assert app(server).members(LIST_NAME) == set(rows)
    for contact_id, row in rows.items():
        user = app(server).users[contact_id]
        assert user["email"] == row[1]
        assert (user["first_name"], user.get("last_name")) == (row[2], row[3])
        assert (user.get("rfm_segment"), user["orders_count"]) == (row[4], row[5])


def test_a_declared_audience_is_mirrored_and_a_second_run_writes_nothing(
    server: SandboxHandle, warehouse: Path
) -> None:
    sync = declaration(SYNC)
    config = settings(server, BRAZE_TRACK_OBJECTS="10")

    first = run_sync(sync, warehouse, config)

    assert (first.status, first.added, first.failed) == ("success", AUDIENCE, 0)
    assert_mirrored(server, warehouse)
    calls = server.writes()
    assert [c["path"] for c in calls] == [TRACK_PATH] * 3  # 24 users, 10 per request
    assert [len(c["body"]["attributes"]) for c in calls] == [10, 10, 4]
    assert {ref for _, _, ref in state_rows(warehouse).values()} == set(audience(warehouse))

    server.clear_requests()
    again = run_sync(sync, warehouse, config)
    assert (again.unchanged, again.write_calls, server.requests()) == (AUDIENCE, 0, [])

    delete(warehouse, "c-003", "c-004")
    update(warehouse, "c-010", rfm_segment="hibernating")
    changed = run_sync(sync, warehouse, config)
    assert (changed.removed, changed.changed, changed.failed) == (2, 1, 0)
    assert_mirrored(server, warehouse)
    removal = server.writes()[0]["body"]["attributes"]
    assert {item["external_id"] for item in removal} == {"c-003", "c-004"}
    assert all(item["nudge_lists"] == {"remove": [LIST_NAME]} for item in removal)
    assert all(item["_update_existing_only"] for item in removal)
    assert "c-003" in app(server).users  # the user stays, only the membership goes
    assert run_sync(sync, warehouse, config).write_calls == 0


def test_errors_in_a_partial_success_fail_their_rows_only(
    server: SandboxHandle, warehouse: Path
) -> None:
    update(warehouse, "c-007", email="not-an-email")
    sync = declaration(SYNC)

    result = run_sync(sync, warehouse, settings(server))

    assert (result.status, result.added, result.failed) == ("partial", AUDIENCE, 1)
    assert "Invalid email" in result.errors["not-an-email"]
    status, reason, _ = state_rows(warehouse)["not-an-email"]
    assert status == "failed" and "Invalid email" in reason
    assert app(server).members(LIST_NAME) == set(audience(warehouse)) - {"c-007"}

    update(warehouse, "c-007", email="fixed@example.com")
    healed = run_sync(sync, warehouse, settings(server))
    assert (healed.status, healed.failed) == ("success", 0)
    assert_mirrored(server, warehouse)


def test_429s_are_retried_and_the_declared_rate_keeps_under_the_limit(
    tmp_path: Path, warehouse: Path
) -> None:
    sync = declaration(SYNC)
    with start_braze(API_KEY, track_rate=(2, 1.0)) as strict:
        # the client believes in a higher limit: the server's 429s are retried with backoff
        config = settings(strict, BRAZE_TRACK_OBJECTS="4", BRAZE_TRACK_RATE="1000/1s")
        result = run_sync(sync, warehouse, config)
        assert (result.status, result.failed) == ("success", 0)
        assert result.rate_limited > 0
        limited = [c for c in strict.requests() if c["status"] == 429]
        assert len(limited) == result.rate_limited
        assert_mirrored(strict, warehouse)

    other = make_warehouse(tmp_path / "other.duckdb", 12)
    with start_braze(API_KEY, track_rate=(2, 1.0)) as strict:
        # told the real limit, the client's limiter never gets a 429
        config = settings(strict, BRAZE_TRACK_OBJECTS="4", BRAZE_TRACK_RATE="2/1s")
        result = run_sync(sync, other, config)
        assert (result.status, result.rate_limited, result.write_calls) == ("success", 0, 3)
        times = sorted(c["time"] for c in strict.requests())
        assert times[2] - times[0] >= 1.0


def test_a_wrong_key_is_a_clear_error_without_the_key(
    server: SandboxHandle, warehouse: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-braze-key-1234"
    config = braze_settings({"BRAZE_BASE_URL": server.base_url, "BRAZE_API_KEY": wrong})
    with pytest.raises(ActivationError) as refused:
        run_sync(declaration(SYNC), warehouse, config)
    assert "HTTP 401" in str(refused.value) and "Invalid API key" in str(refused.value)
    for text in (str(refused.value), caplog.text, repr(config), repr(server.requests())):
        assert wrong not in text and API_KEY not in text


def event(key: str, metric: str = "Abandoned Cart", **changes: Any) -> EventRecord:
    values: dict[str, Any] = {
        "record_key": key,
        "metric": metric,
        "email": "person.001@example.com",
        "external_id": "c-001",
        "properties": {"cart_value": 42.5},
        "time": "2026-11-30T10:00:00+00:00",
        "value": 42.5,
        "unique_id": f"send-{key}",
    }
    values.update(changes)
    return EventRecord(**values)


def test_transactional_sends_are_deduplicated_by_external_send_id(server: SandboxHandle) -> None:
    config = settings(server, BRAZE_TRANSACTIONAL_CAMPAIGNS="Abandoned Cart=cmp-cart")
    destination = build_destination(config)
    try:
        first = destination.track_events(
            [event("a"), event("b"), event("c", "Browse", external_id=None)]
        )
        assert sorted(first.succeeded) == ["a", "b"]
        assert "external_id" in first.failed["c"]
        # a rerun after a crash re-sends "a": Braze answers the same dispatch, sends nothing
        again = destination.track_events([event("a")])
        assert again.succeeded == ["a"] and again.refs["a"] == first.refs["a"]
        deliveries = app(server).deliveries
        assert sorted(d["external_send_id"] for d in deliveries) == ["send-a", "send-b"]
        assert deliveries[0]["external_user_id"] == "c-001"
        assert deliveries[0]["trigger_properties"]["cart_value"] == 42.5

        # with campaigns configured, a metric without one is refused, naming the setting
        unmapped = destination.track_events([event("d", "Viewed Product")])
        assert "BRAZE_TRANSACTIONAL_CAMPAIGNS" in unmapped.failed["d"]
        assert destination.idempotent_events is True
        # without any, events are custom events, which Braze does not de-duplicate
        custom = build_destination(settings(server))
        assert custom.track_events([event("d", "Viewed Product")]).succeeded == ["d"]
        assert custom.idempotent_events is False
        (recorded,) = app(server).events
        assert recorded["name"] == "Viewed Product"
        assert recorded["properties"]["nudge_send_key"] == "send-d"
        unknown = settings(server, BRAZE_TRANSACTIONAL_CAMPAIGNS="Abandoned Cart=cmp-gone")
        missing = build_destination(unknown).track_events([event("e")])
        assert "HTTP 404" in missing.failed["e"]
    finally:
        destination.close()


def test_custom_events_are_not_repeated_once_they_may_have_arrived(
    server: SandboxHandle,
) -> None:
    """Braze records a custom event again: a /users/track call of events answered with a
    5xx may have recorded them, so it is not repeated and its events come back unknown
    (the send runner gives them up, never sends them again); a 429 is retried, as nothing
    was done."""
    destination = build_destination(settings(server))
    try:
        server.inject_fault(502, method="POST", path=f"{TRACK_PATH}$", times=1)
        outcome = destination.track_events([event("a"), event("b")])
        assert sorted(outcome.unknown) == ["a", "b"] and "HTTP 502" in outcome.unknown["a"]
        assert (outcome.succeeded, outcome.failed) == ([], {})
        assert outcome.unavailable is not None and outcome.unanswered(["a", "b"]) == []
        assert len([r for r in server.requests() if r["path"].endswith(TRACK_PATH)]) == 1

        server.inject_fault(429, method="POST", path=f"{TRACK_PATH}$", times=1)
        assert destination.track_events([event("c")]).succeeded == ["c"]
        assert [e["properties"]["nudge_send_key"] for e in app(server).events] == ["send-c"]

        # a 2xx that is not Braze's JSON (a proxy's page), or errors that name no row: the
        # call may have recorded the events all the same
        server.inject_fault(200, method="POST", path=f"{TRACK_PATH}$", body="<html>proxy</html>")
        assert list(destination.track_events([event("d")]).unknown) == ["d"]
        unnamed = '{"message": "success", "errors": ["something went wrong"]}'
        server.inject_fault(
            200, method="POST", path=f"{TRACK_PATH}$", body=unnamed, content_type="application/json"
        )
        outcome = destination.track_events([event("e"), event("f", external_id="c-002")])
        assert sorted(outcome.unknown) == ["e", "f"] and outcome.failed == {}
    finally:
        destination.close()


def test_unsubscribes_are_read_back(server: SandboxHandle) -> None:
    now = datetime.now(UTC)
    app(server).unsubscribe("Old@Example.com", now - timedelta(days=3))
    app(server).unsubscribe("new@example.com", now - timedelta(minutes=5))
    destination = BrazeDestination(settings(server))
    since = (now - timedelta(hours=1)).replace(tzinfo=None)
    (recent,) = destination.read_suppressions(since)
    assert (recent.email, recent.reason) == ("new@example.com", "unsubscribed")
    assert recent.suppressed_at >= since
    assert {s.email for s in destination.read_suppressions(None)} == {
        "old@example.com",
        "new@example.com",
    }


def test_missing_settings_and_bad_declarations_name_the_fix() -> None:
    with pytest.raises(ConfigurationError, match="BRAZE_BASE_URL is not set"):
        braze_settings({"BRAZE_API_KEY": "k"})
    with pytest.raises(ConfigurationError, match="BRAZE_API_KEY is not set"):
        braze_settings({"BRAZE_BASE_URL": "https://rest.iad-01.braze.com"})
    with pytest.raises(ConfigurationError, match="BRAZE_TRACK_RATE must look like"):
        braze_settings(
            {"BRAZE_BASE_URL": "http://x", "BRAZE_API_KEY": "k", "BRAZE_TRACK_RATE": "fast"}
        )
    no_id = {key: value for key, value in SYNC.items() if key != "external_id"}
    with pytest.raises(DeclarationError, match=r"external_id is required for destination braze"):
        declaration(no_id)
    with pytest.raises(DeclarationError, match=r"mailchimp applies only to destination mailchimp"):
        declaration({**SYNC, "mailchimp": {"audience_id": "a1"}})
    with pytest.raises(DeclarationError, match=r"first_name, gender, home_city"):
        declaration({**SYNC, "fields": {"attributes": {"rfm": "rfm_segment"}}})
    custom = declaration({**SYNC, "braze": {"membership_attribute": "segments"}})
    assert (
        custom.config.braze is not None and custom.config.braze.membership_attribute == "segments"
    )


def test_changing_the_destination_block_resends_every_row(
    server: SandboxHandle, warehouse: Path
) -> None:
    run_sync(declaration(SYNC), warehouse, settings(server))
    moved = declaration({**SYNC, "braze": {"membership_attribute": "segments"}})
    result = run_sync(moved, warehouse, settings(server))
    assert (result.changed, result.failed) == (AUDIENCE, 0)
    assert app(server).members(LIST_NAME, "segments") == set(audience(warehouse))


def test_the_server_holds_the_documented_request_limits(server: SandboxHandle) -> None:
    def post(handle: SandboxHandle, body: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {API_KEY}"}
        return requests.post(
            f"{handle.base_url}{TRACK_PATH}", json=body, headers=headers, timeout=10
        )

    users = [{"external_id": f"u{i}", "plan": "x"} for i in range(76)]
    assert post(server, {"attributes": users}).status_code == 400
    assert post(server, {"attributes": users[:75]}).status_code == 201
    assert (
        post(server, {"attributes": [{"external_id": "big", "blob": "x" * 4_300_000}]}).status_code
        == 413
    )
    events = [{"external_id": "u1", "name": "e", "time": "2026-11-30T10:00:00Z"}] * 40
    assert post(server, {"attributes": users[:40], "events": events}).status_code == 201
    with start_braze(API_KEY, objects_mode="total") as total:
        assert post(total, {"attributes": users[:40], "events": events}).status_code == 400
