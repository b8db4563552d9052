"""Customer.io destination against the Track API contract server: a declared audience synced
with ``run_sync`` (people through ``/api/v2/batch``, a manual segment mirrored), 207
per-item errors, the 500 KB / 32 KB limits, 429s, wrong credentials, and events
de-duplicated by their id (a ULID derived from the send key)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from activation.destinations import build_destination
from activation.destinations.base import EventRecord
from activation.destinations.customerio.client import BATCH_PATH, CustomerioDestination, event_ulid
from activation.destinations.customerio.sandbox import CustomerioApp, start_customerio
from activation.destinations.customerio.settings import customerio_settings
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
    sql,
    state_rows,
    update,
)

SITE_ID = "site-3f2a"
API_KEY = "cio-track-key-never-logged-71c0"
SEGMENT = 12
AUDIENCE = 24
SYNC = {
    "destination": "customerio",
    "object": "list_members",
    "mode": "mirror",
    "list_name": LIST_NAME,
    "identifier": {"column": "email"},
    "external_id": {"column": "contact_id"},
    "fields": {
        "attributes": {"first_name": "first_name", "last_name": "last_name"},
        "properties": {"rfm_segment": "rfm_segment"},
    },
    "customerio": {"segment_id": SEGMENT},
}


def start(**options: Any) -> SandboxHandle:
    return start_customerio(SITE_ID, API_KEY, segments=(SEGMENT,), **options)


@pytest.fixture
def server() -> Iterator[SandboxHandle]:
    with start() as handle:
        yield handle


def app(server: SandboxHandle) -> CustomerioApp:
    assert isinstance(server.app, CustomerioApp)
    return server.app


def settings(server: SandboxHandle, key: str = API_KEY, **env: str) -> DestinationSettings:
    variables = {
        "CUSTOMERIO_SITE_ID": SITE_ID,
        "CUSTOMERIO_API_KEY": key,
        "CUSTOMERIO_TRACK_URL": server.base_url,
        **env,
    }
    return customerio_settings(variables, retry=RetryPolicy(backoff_base=0.2, backoff_max=1.0))


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return make_warehouse(tmp_path / "nudge.duckdb", AUDIENCE)


def assert_mirrored(server: SandboxHandle, warehouse: Path) -> None:
    rows = audience(warehouse)
    assert app(server).segments[SEGMENT] == set(rows)
    for contact_id, row in rows.items():
        person = app(server).people[contact_id]
        assert (person["email"], person["first_name"]) == (row[1], row[2])
        assert (person.get("last_name"), person.get("rfm_segment")) == (row[3], row[4])


def test_a_declared_audience_is_mirrored_into_a_manual_segment_and_a_rerun_writes_nothing(
    server: SandboxHandle, warehouse: Path
) -> None:
    sync = declaration(SYNC)

    first = run_sync(sync, warehouse, settings(server))

    assert (first.status, first.added, first.failed) == ("success", AUDIENCE, 0)
    assert_mirrored(server, warehouse)
    assert [c["path"] for c in server.writes()] == [
        BATCH_PATH,
        f"/api/v1/segments/{SEGMENT}/add_customers",
    ]
    assert {ref for _, _, ref in state_rows(warehouse).values()} == set(audience(warehouse))

    server.clear_requests()
    again = run_sync(sync, warehouse, settings(server))
    assert (again.unchanged, again.api_calls, server.requests()) == (AUDIENCE, 0, [])

    delete(warehouse, "c-001", "c-020")
    update(warehouse, "c-006", rfm_segment=None)
    changed = run_sync(sync, warehouse, settings(server))
    assert (changed.removed, changed.changed, changed.failed) == (2, 1, 0)
    assert_mirrored(server, warehouse)
    (removal,) = [c for c in server.writes() if c["path"].endswith("remove_customers")]
    assert removal["body"] == {"ids": ["c-001", "c-020"]}
    assert run_sync(sync, warehouse, settings(server)).write_calls == 0


def test_a_207_fails_only_the_items_it_names(server: SandboxHandle, warehouse: Path) -> None:
    update(warehouse, "c-013", email="not-an-email")
    result = run_sync(declaration(SYNC), warehouse, settings(server))
    assert (result.status, result.failed) == ("partial", 1)
    assert "attributes.email" in result.errors["not-an-email"]
    assert state_rows(warehouse)["not-an-email"][0] == "failed"
    assert app(server).segments[SEGMENT] == set(audience(warehouse)) - {"c-013"}


def test_batches_stay_under_500_kb_and_items_over_32_kb_fail_before_sending(
    server: SandboxHandle, warehouse: Path
) -> None:
    sql(warehouse, "update syncs.sync_audience set last_name = repeat('x', 30000)")
    update(warehouse, "c-017", last_name="y" * 40_000)

    result = run_sync(declaration(SYNC), warehouse, settings(server))

    assert (result.added, result.failed) == (AUDIENCE - 1, 1)  # the big one is never sent
    assert "the limit is 32768" in result.errors["person.017@example.com"]
    batches = [c for c in server.writes() if c["path"] == BATCH_PATH]
    assert len(batches) >= 2 and all(c["status"] == 200 for c in batches)
    assert app(server).segments[SEGMENT] == set(audience(warehouse)) - {"c-017"}
    too_big = {
        "batch": [{"type": "person", "identifiers": {"id": "x"}, "action": "identify"}] * 9000
    }
    refused = requests.post(
        f"{server.base_url}{BATCH_PATH}", json=too_big, auth=(SITE_ID, API_KEY), timeout=10
    )
    assert refused.status_code == 413


def test_429s_are_retried_and_the_declared_rate_keeps_under_the_limit(tmp_path: Path) -> None:
    sync = declaration({**SYNC, "batch_size": 4})
    with start(rate=(3, 1.0)) as strict:
        warehouse = make_warehouse(tmp_path / "a.duckdb", 12)
        result = run_sync(sync, warehouse, settings(strict, CUSTOMERIO_TRACK_RATE="1000/1s"))
        assert (result.status, result.failed) == ("success", 0)
        assert result.rate_limited == len([c for c in strict.requests() if c["status"] == 429]) > 0
        assert_mirrored(strict, warehouse)
    with start(rate=(3, 1.0)) as strict:
        warehouse = make_warehouse(tmp_path / "b.duckdb", 12)
        result = run_sync(sync, warehouse, settings(strict, CUSTOMERIO_TRACK_RATE="3/1s"))
        assert (result.status, result.rate_limited, result.write_calls) == ("success", 0, 6)


def test_wrong_credentials_are_a_clear_error_without_the_key(
    server: SandboxHandle, warehouse: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "cio-wrong-key-5555"
    with pytest.raises(ActivationError) as refused:
        run_sync(declaration(SYNC), warehouse, settings(server, wrong))
    assert "HTTP 401" in str(refused.value) and "Unauthorized request" in str(refused.value)
    for text in (str(refused.value), caplog.text, repr(server.requests())):
        assert wrong not in text and API_KEY not in text


def event(key: str, **changes: Any) -> EventRecord:
    values: dict[str, Any] = {
        "record_key": key,
        "metric": "abandoned_cart",
        "email": "person.001@example.com",
        "external_id": "c-001",
        "properties": {"cart_value": 42.5},
        "time": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "value": 42.5,
        "unique_id": f"send-{key}",
    }
    values.update(changes)
    return EventRecord(**values)


def test_events_are_deduplicated_by_their_id(server: SandboxHandle) -> None:
    destination = build_destination(settings(server), declaration(SYNC).config)
    try:
        a, b = event("a"), event("b")
        stale = event("old", time=(datetime.now(UTC) - timedelta(hours=73)).isoformat())
        first = destination.track_events(
            [a, b, stale, event("anon", external_id=None), event("x", metric="")]
        )
        assert sorted(first.succeeded) == ["a", "b"]
        assert "older than 72 hours" in first.failed["old"]
        assert "external_id" in first.failed["anon"]
        assert "an event needs a name" in first.failed["x"]
        # a rerun after a crash sends "a" again: same id, recorded once
        assert destination.track_events([a]).succeeded == ["a"]
        assert sorted(e["data"]["cart_value"] for e in app(server).events) == [42.5, 42.5]
        assert [e["id"] for e in app(server).events] == [
            event_ulid("send-a", a.time),
            event_ulid("send-b", b.time),
        ]
        assert len(app(server).events) == 2
        assert list(destination.read_suppressions(None)) == []  # no Track API read-back
    finally:
        destination.close()


def test_event_ids_are_stable_ulids() -> None:
    one = event_ulid("send-1", "2026-11-30T10:00:00+00:00")
    assert one == event_ulid("send-1", "2026-11-30T10:00:00Z")
    assert one != event_ulid("send-2", "2026-11-30T10:00:00+00:00")
    assert len(one) == 26 and one[0] in "01234567"
    later = event_ulid("send-1", "2026-11-30T10:00:01+00:00")
    assert later > one  # ULIDs sort by time


def test_settings_and_declarations_name_the_fix() -> None:
    with pytest.raises(ConfigurationError, match="CUSTOMERIO_SITE_ID is not set"):
        customerio_settings({"CUSTOMERIO_API_KEY": "k"})
    with pytest.raises(ConfigurationError, match="CUSTOMERIO_API_KEY is not set"):
        customerio_settings({"CUSTOMERIO_SITE_ID": "s"})
    defaults = customerio_settings({"CUSTOMERIO_SITE_ID": "s", "CUSTOMERIO_API_KEY": "k"})
    assert defaults.base_url == "https://track.customer.io"
    with pytest.raises(DeclarationError, match=r"customerio.segment_id is required"):
        declaration({**SYNC, "customerio": None})
    with pytest.raises(
        DeclarationError, match=r"external_id is required for destination customerio"
    ):
        declaration({key: value for key, value in SYNC.items() if key != "external_id"})
    profiles = declaration(
        {**SYNC, "object": "profiles", "mode": "upsert", "customerio": None, "list_name": None}
    )
    destination = CustomerioDestination(defaults)
    with pytest.raises(ConfigurationError, match=r"segment_id"):
        destination.ensure_list(LIST_NAME)
    assert profiles.config.customerio is None


def test_events_stop_when_customerio_stops_answering(server: SandboxHandle) -> None:
    server.inject_fault(503, path="^/api/v2/batch$", times=None)
    config = customerio_settings(
        {
            "CUSTOMERIO_SITE_ID": SITE_ID,
            "CUSTOMERIO_API_KEY": API_KEY,
            "CUSTOMERIO_TRACK_URL": server.base_url,
        },
        retry=RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_max=0.02),
    )
    destination = CustomerioDestination(config)
    destination.limits = dataclasses.replace(destination.limits, upsert_rows=1)  # 1 per call
    outcome = destination.track_events([event("a"), event("b")])
    assert outcome.unavailable is not None and "HTTP 503 after 2 attempts" in outcome.unavailable
    # neither is settled: both wait for the next run, and "b" was not even attempted
    assert outcome.failed == {} and outcome.succeeded == []
    assert outcome.unanswered(["a", "b"]) == ["a", "b"]
    assert len([r for r in server.requests() if r["path"] == "/api/v2/batch"]) == 2
    assert app(server).events == []
