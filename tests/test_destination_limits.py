"""ESP limits are enforced before sending: a free-text string over the per-string limit is cut
(on a UTF-8 character boundary, counted) and the record sent; a record over a hard limit
(payload size, number of properties, a name) fails alone with the limit named, and the
Klaviyo sandbox, which checks Klaviyo's limits, never sees an invalid request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from activation.destinations.base import EventRecord, ProfileRecord
from activation.destinations.customerio.client import PERSON_LIMITS
from activation.destinations.klaviyo.client import EVENT_LIMITS, KlaviyoDestination
from activation.destinations.klaviyo.sandbox import SandboxHandle, start_sandbox
from activation.destinations.limits import LimitChecker, truncate_utf8
from activation.sends import run_sends
from tests.sends_helpers import (
    API_KEY,
    AS_OF,
    FakeClock,
    events_by_unique_id,
    invalid_requests,
    ledger,
    make_warehouse,
    profile_row,
    send_row,
    settings,
)

KB = 1024


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    with start_sandbox(API_KEY) as handle:
        yield handle


def event(key: str, **properties: Any) -> EventRecord:
    return EventRecord(
        record_key=key,
        metric="Nudge Cart Abandonment",
        email=f"{key}@example.com",
        external_id=key,
        properties=properties,
        time=datetime.now(UTC).isoformat(timespec="seconds"),
        value=None,
        unique_id=f"send-{key}",
    )


def test_a_string_is_cut_on_a_character_boundary() -> None:
    text = "é" * 10  # two bytes each
    assert truncate_utf8(text, 5) == "éé"
    assert truncate_utf8(text, 20) == text
    assert truncate_utf8("abc", 0) == ""


def test_klaviyo_events_over_the_limits_fail_alone_and_long_strings_are_cut(
    sandbox: SandboxHandle,
) -> None:
    long_text = "ü" * (60 * KB)  # 120 KB: over Klaviyo's 100 KB per string
    records = [
        event("c-long", body=long_text, items=[{"name": long_text}], count=3),
        event("c-many", **{f"p{i}": i for i in range(401)}),
        event("c-huge", **{f"s{i}": "x" * (99 * KB) for i in range(60)}),  # ~6 MB
        event("c-fine", body="hello"),
    ]
    destination = KlaviyoDestination(settings(sandbox.base_url))

    outcome = destination.track_events(records)

    assert sorted(outcome.succeeded) == ["c-fine", "c-long"]
    assert outcome.failed == {
        "c-many": "Klaviyo event not sent: 401 properties, over the limit of 400",
        "c-huge": outcome.failed["c-huge"],
    }
    assert outcome.failed["c-huge"].startswith("Klaviyo event not sent: payload is ")
    assert outcome.failed["c-huge"].endswith("over the 5242880-byte limit")
    assert (destination.checker.truncations.rows, destination.checker.truncations.strings) == (
        1,
        2,
    )
    sent = {e["unique_id"]: e["properties"] for e in sandbox.events()}
    assert set(sent) == {"send-c-long", "send-c-fine"}
    body = sent["send-c-long"]["body"]
    assert len(body.encode()) <= 100 * KB and long_text.startswith(body)
    assert len(body.encode()) > 100 * KB - 2  # cut at the limit, not far below it
    assert sent["send-c-long"]["items"][0]["name"] == body and sent["send-c-long"]["count"] == 3
    assert invalid_requests(sandbox) == []
    assert all(request["status"] < 400 for request in sandbox.requests())


def test_the_sandbox_refuses_an_event_over_klaviyos_limits(sandbox: SandboxHandle) -> None:
    """What the checker spares the sandbox: without it these are 400s."""
    destination = KlaviyoDestination(settings(sandbox.base_url))
    for record in (event("c-many", **{f"p{i}": i for i in range(401)}), event("c-long")):
        body = destination.event_body(record)
        if record.record_key == "c-long":
            body["data"]["attributes"]["properties"] = {"body": "x" * (100 * KB + 1)}
        answer = destination.client.session.post(
            f"{sandbox.base_url}/api/events",
            json=body,
            headers={"Content-Type": "application/vnd.api+json"},
            timeout=10,
        )
        assert answer.status_code == 400, answer.text


def person(key: str, **properties: Any) -> ProfileRecord:
    return ProfileRecord(key, f"{key}@example.com", key, {"first_name": "Ada"}, properties)


def test_customerio_people_are_checked_by_the_same_declared_limits() -> None:
    checker = LimitChecker("customerio")
    checked = checker.check(
        [
            person("c-long", note="n" * 5000),
            person("c-many", **{f"p{i}": i for i in range(300)}),  # 301 with first_name
            person("c-name", **{"k" * 151: 1}),
            person("c-fine", note="short"),
        ],
        PERSON_LIMITS,
        lambda record: {"attributes": {**record.attributes, **record.properties}},
    )
    assert [r.record_key for r in checked.sendable] == ["c-long", "c-fine"]
    assert checked.sendable[0].properties["note"] == "n" * 1000
    assert checked.truncated == {"c-long": ["note"]}
    assert checked.failed == {
        "c-many": "Customer.io person not sent: 301 properties, over the limit of 300",
        "c-name": f"Customer.io person not sent: property name {'k' * 151!r} is over the "
        "150-byte limit",
    }


def test_klaviyo_event_limits_are_the_specs() -> None:
    assert (EVENT_LIMITS.properties, EVENT_LIMITS.string_bytes, EVENT_LIMITS.payload_bytes) == (
        400,
        100 * KB,
        5 * KB * KB,
    )


def test_triggered_sends_over_the_limits_fail_alone_in_the_ledger(
    warehouse: Path, sandbox: SandboxHandle
) -> None:
    """Through the send runner: the cut send is sent and counted, the one over a hard limit
    is 'failed' in the ledger with the limit named, never posted."""
    payloads = {
        "c-long": json.dumps({"note": "ü" * (60 * KB)}),
        "c-many": json.dumps({f"p{i}": i for i in range(401)}),
        "c-fine": None,
    }
    sends = [send_row(c, payload=p) for c, p in payloads.items()]
    make_warehouse(warehouse, sends, [profile_row(c) for c in payloads])

    result = run_sends(warehouse, settings(sandbox.base_url), clock=FakeClock(AS_OF))

    assert (result.sent, result.failed, result.truncated, result.status) == (2, 1, 1, "partial")
    rows = ledger(warehouse)
    many = rows[send_row("c-many")["send_key"]]
    assert many[:3] == ("failed", "send_failed", 1)
    assert "over the limit of 400" in str(many)
    assert set(events_by_unique_id(sandbox)) == {
        send_row(c)["send_key"] for c in ("c-long", "c-fine")
    }
    assert invalid_requests(sandbox) == []
