"""A send whose call may have reached a destination that cannot de-duplicate events
(Mailchimp) without an answer saying what it did — a timeout, a dropped connection, a 5xx —
is given up ('failed', outcome_unknown, with why): never sent again, neither by the HTTP
client's retries nor by a later run. The sends not attempted because of it still go."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from activation.destinations.base import ProfileRecord
from activation.destinations.mailchimp.client import MailchimpDestination
from activation.destinations.mailchimp.sandbox import MailchimpApp, start_mailchimp
from activation.destinations.mailchimp.settings import mailchimp_settings
from activation.sandbox.framework import SandboxHandle
from activation.sends import run_sends
from activation.settings import DestinationSettings, RetryPolicy
from tests.sends_helpers import email, ledger, make_warehouse, profile_row, send_row

API_KEY = "0123456789abcdef0123456789abcdef-us21"
AUDIENCE_ID = "aud0001"
CONTACTS = ("c-00", "c-01")
EVENTS_PATH = "/events$"
# what may reach Mailchimp unanswered: a slow answer (processed after the client gave up),
# a 5xx, a connection closed without an answer
FAULTS: dict[str, dict[str, Any]] = {
    "timeout": {"status": None, "delay": 1.0},
    "5xx": {"status": 502},
    "dropped": {"status": None, "drop": True},
}


@pytest.fixture
def server() -> Iterator[SandboxHandle]:
    with start_mailchimp(API_KEY, audiences=(AUDIENCE_ID,)) as handle:
        yield handle


def settings(server: SandboxHandle) -> DestinationSettings:
    env = {
        "MAILCHIMP_API_KEY": API_KEY,
        "MAILCHIMP_BASE_URL": f"{server.base_url}/3.0",
        "MAILCHIMP_AUDIENCE_ID": AUDIENCE_ID,
    }
    retry = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.02)
    return mailchimp_settings(env, retry=retry, read_timeout=0.3)


def subscribe(server: SandboxHandle) -> None:
    """The contacts as members of the audience (Mailchimp takes events for members only)."""
    destination = MailchimpDestination(settings(server), audience_id=AUDIENCE_ID)
    try:
        records = [ProfileRecord(c, email(c), None, {}, {}) for c in CONTACTS]
        assert destination.upsert_profiles(records, None).succeeded == list(CONTACTS)
    finally:
        destination.close()


def event_calls(server: SandboxHandle) -> int:
    return sum(1 for r in server.requests() if r["path"].endswith("/events"))


def delivered(server: SandboxHandle) -> list[str]:
    assert isinstance(server.app, MailchimpApp)
    return [event["properties"]["send_key"] for event in server.app.events]


@pytest.mark.parametrize("fault", list(FAULTS))
def test_mailchimp_never_sends_again_a_send_whose_call_may_have_arrived(
    tmp_path: Path, server: SandboxHandle, fault: str
) -> None:
    wh = make_warehouse(
        tmp_path / "w.duckdb", [send_row(c) for c in CONTACTS], [profile_row(c) for c in CONTACTS]
    )
    first, second = (send_row(c)["send_key"] for c in CONTACTS)
    subscribe(server)
    server.inject_fault(path=EVENTS_PATH, times=1, **FAULTS[fault])

    run = run_sends(wh, settings(server))
    server.wait_until_answered()

    assert (run.sent, run.failed, run.not_attempted) == (1, 1, 0)
    status, reason, _, error, _ = ledger(wh)[first]
    assert (status, reason) == ("failed", "outcome_unknown")
    assert "may have reached the destination" in error
    assert "cannot de-duplicate" in error
    assert ledger(wh)[second][0] == "sent"
    assert event_calls(server) == 2  # the client did not repeat the call either

    again = run_sends(wh, settings(server), max_attempts=10)

    assert (again.candidates, again.sent, event_calls(server)) == (0, 0, 2)
    assert ledger(wh)[first][:2] == ("failed", "outcome_unknown")
    # a slow answer was processed after the client gave up: delivered once, never twice
    assert delivered(server).count(first) == (1 if fault == "timeout" else 0)
    assert delivered(server).count(second) == 1


def test_a_429_is_retried_as_nothing_was_done(tmp_path: Path, server: SandboxHandle) -> None:
    wh = make_warehouse(tmp_path / "w.duckdb", [send_row("c-00")], [profile_row("c-00")])
    subscribe(server)
    server.inject_fault(429, path=EVENTS_PATH, times=2)

    run = run_sends(wh, settings(server))

    assert (run.sent, run.failed, event_calls(server)) == (1, 0, 3)
    assert delivered(server) == [send_row("c-00")["send_key"]]
