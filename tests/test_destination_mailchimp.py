"""Mailchimp destination against the Mailchimp contract server: a declared audience synced
with ``run_sync`` (bulk member upserts, a static segment mirrored), per-member ``errors[]``,
429s, wrong keys and audiences, events (no idempotency key: the ledger's job), and
unsubscribed / cleaned members read back."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from activation.destinations import build_destination
from activation.destinations.base import EventRecord
from activation.destinations.mailchimp.client import MailchimpDestination, subscriber_hash
from activation.destinations.mailchimp.sandbox import MailchimpApp, start_mailchimp
from activation.destinations.mailchimp.settings import mailchimp_settings
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

API_KEY = "0123456789abcdef0123456789abcdef-us21"
AUDIENCE_ID = "aud0001"
AUDIENCE = 24
SYNC = {
    "destination": "mailchimp",
    "object": "list_members",
    "mode": "mirror",
    "list_name": LIST_NAME,
    "identifier": {"column": "email"},
    "fields": {"attributes": {"FNAME": "first_name", "LNAME": "last_name", "RFM": "rfm_segment"}},
    "mailchimp": {"audience_id": AUDIENCE_ID},
}


@pytest.fixture
def server() -> Iterator[SandboxHandle]:
    with start_mailchimp(API_KEY, audiences=(AUDIENCE_ID,)) as handle:
        yield handle


def app(server: SandboxHandle) -> MailchimpApp:
    assert isinstance(server.app, MailchimpApp)
    return server.app


def settings(server: SandboxHandle, key: str = API_KEY) -> DestinationSettings:
    env = {"MAILCHIMP_API_KEY": key, "MAILCHIMP_BASE_URL": f"{server.base_url}/3.0"}
    return mailchimp_settings(env, retry=RetryPolicy(backoff_base=0.01, backoff_max=0.05))


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return make_warehouse(tmp_path / "nudge.duckdb", AUDIENCE)


def emails(warehouse: Path) -> set[str]:
    return {row[1].lower() for row in audience(warehouse).values()}


def assert_mirrored(server: SandboxHandle, warehouse: Path) -> None:
    assert app(server).segment_emails(AUDIENCE_ID, LIST_NAME) == emails(warehouse)
    members = app(server).members[AUDIENCE_ID]
    for row in audience(warehouse).values():
        member = members[hashlib.md5(row[1].lower().encode()).hexdigest()]
        expected = {"FNAME": row[2], "LNAME": row[3] or "", "RFM": row[4] or ""}
        assert member["merge_fields"] == expected
        assert member["status"] == "subscribed"


def test_a_declared_audience_is_mirrored_into_a_static_segment_and_a_rerun_writes_nothing(
    server: SandboxHandle, warehouse: Path
) -> None:
    sync = declaration({**SYNC, "batch_size": 10})

    first = run_sync(sync, warehouse, settings(server))

    assert (first.status, first.added, first.failed) == ("success", AUDIENCE, 0)
    assert_mirrored(server, warehouse)
    paths = [
        (c["path"].removeprefix(f"/3.0/lists/{AUDIENCE_ID}"), c["body"]) for c in server.writes()
    ]
    assert paths[0] == ("/segments", {"name": LIST_NAME, "static_segment": []})
    bulk = [body for path, body in paths if path == ""]
    assert [len(body["members"]) for body in bulk] == [10, 10, 4]
    assert all(body["update_existing"] is True for body in bulk)
    assert len([p for p, _ in paths if p.startswith("/segments/")]) == 3
    refs = {key: ref for key, (_, _, ref) in state_rows(warehouse).items()}
    assert refs == {key: subscriber_hash(key) for key in emails(warehouse)}

    server.clear_requests()
    again = run_sync(sync, warehouse, settings(server))
    assert (again.unchanged, again.api_calls, server.requests()) == (AUDIENCE, 0, [])

    delete(warehouse, "c-002", "c-005")
    update(warehouse, "c-011", first_name="Eleven")
    changed = run_sync(sync, warehouse, settings(server))
    assert (changed.removed, changed.changed, changed.failed) == (2, 1, 0)
    assert_mirrored(server, warehouse)
    removal = [c["body"] for c in server.writes() if "members_to_remove" in (c["body"] or {})]
    assert removal == [{"members_to_remove": ["person.002@example.com", "person.005@example.com"]}]
    assert len(app(server).members[AUDIENCE_ID]) == AUDIENCE  # they stay in the audience
    assert run_sync(sync, warehouse, settings(server)).write_calls == 0


def test_member_errors_fail_their_rows_and_an_unsubscribe_is_never_undone(
    server: SandboxHandle, warehouse: Path
) -> None:
    sync = declaration(SYNC)
    run_sync(sync, warehouse, settings(server))
    app(server).set_status(AUDIENCE_ID, "person.004@example.com", "unsubscribed")
    update(warehouse, "c-004", first_name="Changed")
    update(warehouse, "c-009", email="not-an-email")

    result = run_sync(sync, warehouse, settings(server))

    assert (result.status, result.failed) == ("partial", 2)
    assert "MEMBER_IN_COMPLIANCE_STATE" in result.errors["person.004@example.com"]
    assert "looks fake or invalid" in result.errors["not-an-email"]
    member = app(server).members[AUDIENCE_ID][subscriber_hash("person.004@example.com")]
    assert (member["status"], member["merge_fields"]["FNAME"]) == ("unsubscribed", "First4")
    states = state_rows(warehouse)
    assert states["person.004@example.com"][0] == "failed"
    assert states["not-an-email"][0] == "failed"
    assert states["person.005@example.com"][0] == "synced"


def test_429s_are_retried(server: SandboxHandle, warehouse: Path) -> None:
    server.inject_fault(429, method="POST", path=f"/lists/{AUDIENCE_ID}$", times=2)
    result = run_sync(declaration(SYNC), warehouse, settings(server))
    assert (result.status, result.rate_limited, result.failed) == ("success", 2, 0)
    assert_mirrored(server, warehouse)


def test_more_than_ten_connections_at_once_get_429(server: SandboxHandle) -> None:
    gate = threading.Event()
    original = app(server).on_segments

    def slow(*args: Any, **kwargs: Any) -> Any:
        gate.wait(5)
        return original(*args, **kwargs)

    app(server).on_segments = slow  # type: ignore[method-assign]
    url = f"{server.base_url}/3.0/lists/{AUDIENCE_ID}/segments"
    statuses: list[int] = []

    def call() -> None:
        statuses.append(requests.get(url, auth=("any", API_KEY), timeout=10).status_code)

    threads = [threading.Thread(target=call) for _ in range(12)]
    for thread in threads:
        thread.start()
    deadline = datetime.now() + timedelta(seconds=5)
    while len(statuses) < 2 and datetime.now() < deadline:
        time.sleep(0.01)  # the two over the limit are answered while ten are held
    gate.set()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 10 + [429] * 2


def test_wrong_key_and_unknown_audience_are_clear_errors(
    server: SandboxHandle, warehouse: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "ffffffffffffffffffffffffffffffff-us21"
    with pytest.raises(ActivationError) as refused:
        run_sync(declaration(SYNC), warehouse, settings(server, wrong))
    assert "HTTP 401" in str(refused.value) and "API key may be invalid" in str(refused.value)
    other = declaration({**SYNC, "mailchimp": {"audience_id": "nope"}})
    with pytest.raises(ActivationError, match=r"HTTP 404.*list nope"):
        run_sync(other, warehouse, settings(server))
    for text in (str(refused.value), caplog.text, repr(server.requests())):
        assert wrong not in text and API_KEY not in text


def event(key: str, email: str = "person.001@example.com", **changes: Any) -> EventRecord:
    values: dict[str, Any] = {
        "record_key": key,
        "metric": "abandoned_cart",
        "email": email,
        "external_id": None,
        "properties": {"cart_value": 42.5, "sku": None},
        "time": "2026-11-30T10:00:00+00:00",
        "value": 42.5,
        "unique_id": f"send-{key}",
    }
    values.update(changes)
    return EventRecord(**values)


def test_events_are_sent_per_member_without_an_idempotency_key(
    server: SandboxHandle, warehouse: Path
) -> None:
    run_sync(declaration(SYNC), warehouse, settings(server))
    destination = build_destination(settings(server), declaration(SYNC).config)
    try:
        outcome = destination.track_events(
            [
                event("a"),
                event("b", metric="x"),
                event("c", email="stranger@example.com"),
                event("d", email=None),
            ]
        )
        assert outcome.succeeded == ["a"]
        assert "2-30 characters" in outcome.failed["b"]
        assert "HTTP 404" in outcome.failed["c"]
        assert outcome.failed["d"] == "no email address"
        (sent,) = app(server).events
        assert sent["member"] == subscriber_hash("person.001@example.com")
        assert sent["properties"] == {"cart_value": "42.5", "sku": "", "send_key": "send-a"}
        # Mailchimp records a re-sent event again: only the send ledger prevents that
        destination.track_events([event("a")])
        assert len(app(server).events) == 2
    finally:
        destination.close()


def test_unsubscribed_and_cleaned_members_are_read_back(
    server: SandboxHandle, warehouse: Path
) -> None:
    run_sync(declaration(SYNC), warehouse, settings(server))
    before = datetime.now(UTC).replace(tzinfo=None, microsecond=0) - timedelta(seconds=1)
    app(server).set_status(AUDIENCE_ID, "person.003@example.com", "unsubscribed")
    app(server).set_status(AUDIENCE_ID, "person.008@example.com", "cleaned")
    destination = MailchimpDestination(settings(server), audience_id=AUDIENCE_ID)
    found = {(s.email, s.reason) for s in destination.read_suppressions(before)}
    assert found == {
        ("person.003@example.com", "unsubscribed"),
        ("person.008@example.com", "hard_bounce"),
    }
    later = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=1)
    assert list(destination.read_suppressions(later)) == []


def test_settings_and_declarations_name_the_fix() -> None:
    derived = mailchimp_settings({"MAILCHIMP_API_KEY": "abc-us21"})
    assert derived.base_url == "https://us21.api.mailchimp.com/3.0"
    with pytest.raises(ConfigurationError, match="MAILCHIMP_API_KEY is not set"):
        mailchimp_settings({})
    with pytest.raises(ConfigurationError, match=r"no data-center suffix.*MAILCHIMP_BASE_URL"):
        mailchimp_settings({"MAILCHIMP_API_KEY": "abc"})
    without = {key: value for key, value in SYNC.items() if key != "mailchimp"}
    with pytest.raises(
        DeclarationError, match=r"mailchimp.audience_id is required for destination mailchimp"
    ):
        declaration(without)
    with pytest.raises(
        DeclarationError, match=r"mailchimp.audience_id is required \(e.g. mailchimp"
    ):
        declaration({**SYNC, "mailchimp": {}})
    with pytest.raises(DeclarationError, match=r"no free-form properties"):
        declaration({**SYNC, "fields": {"properties": {"rfm": "rfm_segment"}}})
    with pytest.raises(
        DeclarationError, match=r"fields.attributes.first_name is not a Mailchimp merge tag"
    ):
        declaration({**SYNC, "fields": {"attributes": {"first_name": "first_name"}}})


def test_triggered_sends_find_their_audience_in_the_environment(server: SandboxHandle) -> None:
    env = {"MAILCHIMP_API_KEY": API_KEY, "MAILCHIMP_BASE_URL": f"{server.base_url}/3.0"}
    without = build_destination(mailchimp_settings(env))
    with pytest.raises(ConfigurationError, match="MAILCHIMP_AUDIENCE_ID"):
        without.track_events([event("a")])
    without.close()
    destination = build_destination(mailchimp_settings({**env, "MAILCHIMP_AUDIENCE_ID": "aud0001"}))
    assert isinstance(destination, MailchimpDestination)
    assert destination.audience == "/lists/aud0001"
    destination.close()


def test_events_stop_when_mailchimp_stops_answering(server: SandboxHandle, warehouse: Path) -> None:
    run_sync(declaration(SYNC), warehouse, settings(server))
    server.inject_fault(503, path="/events$", times=None)
    destination = MailchimpDestination(settings(server), audience_id=AUDIENCE_ID)
    outcome = destination.track_events([event("a"), event("b")])
    assert outcome.unavailable is not None and "HTTP 503" in outcome.unavailable
    # a 5xx may come after Mailchimp recorded the event, which it would record again: "a" is
    # not asked again but reported maybe delivered; "b" was not attempted and waits
    assert outcome.failed == {} and outcome.succeeded == []
    assert list(outcome.unknown) == ["a"] and "not sent again" in outcome.unknown["a"]
    assert outcome.unanswered(["a", "b"]) == ["b"]
    assert len([c for c in server.requests() if c["path"].endswith("/events")]) == 1
