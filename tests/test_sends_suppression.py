"""Suppression at send time and the suppression read-back: a contact suppressed after
``triggered_sends`` was built is skipped (ledger 'skipped' with the reason, nothing sent), and
unsubscribes / bounces / complaints made in Klaviyo land once in ``raw.events`` as the raw
contract's ESP feedback events, and stop sends before dbt runs again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests

from activation.destinations.klaviyo.sandbox import SandboxHandle, start_sandbox
from activation.sends import read_back_suppressions, run_sends
from activation.state import utcnow
from activation.tombstones import add_tombstones
from activation.warehouse import Warehouse
from tests.sends_helpers import (
    API_KEY,
    LOOSE_POLICY,
    add_sends,
    email,
    events_by_unique_id,
    invalid_requests,
    ledger,
    make_warehouse,
    profile_row,
    send_row,
    set_policy,
    settings,
    sql,
)

CONTACTS = [f"c-{i:02d}" for i in range(10)]


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    with start_sandbox(API_KEY) as handle:
        yield handle


def test_contacts_suppressed_after_the_build_are_skipped_with_the_reason(
    warehouse: Path, sandbox: SandboxHandle
) -> None:
    profiles = [profile_row(c) for c in CONTACTS[:6]]
    profiles[1] = profile_row("c-01", is_suppressed=True, suppression_reason="unsubscribed")
    profiles[2] = profile_row("c-02", email=None)  # an address that was not valid
    profiles[3] = profile_row("c-03", has_consent=False)
    profiles[4] = profile_row("c-04", is_suppressed=True, suppression_reason="hard_bounce")
    wh = make_warehouse(warehouse, [send_row(c) for c in CONTACTS[:7]], profiles)  # c-06: none

    result = run_sends(wh, settings(sandbox.base_url))
    assert (result.sent, result.skipped, result.failed) == (2, 5, 0)
    assert result.skipped_by_reason == {
        "unsubscribed": 1,
        "invalid_email": 1,
        "no_consent": 1,
        "hard_bounce": 1,
        "no_contact_profile": 1,
    }
    rows = ledger(wh)
    expected = {
        "c-00": ("sent", None, 1),
        "c-01": ("skipped", "unsubscribed", 0),
        "c-02": ("skipped", "invalid_email", 0),
        "c-03": ("skipped", "no_consent", 0),
        "c-04": ("skipped", "hard_bounce", 0),
        "c-05": ("sent", None, 1),
        "c-06": ("skipped", "no_contact_profile", 0),
    }
    assert {c: rows[send_row(c)["send_key"]][:3] for c in expected} == expected
    assert set(events_by_unique_id(sandbox)) == {send_row(c)["send_key"] for c in ("c-00", "c-05")}
    assert all(rows[send_row(c)["send_key"]][4] is None for c in ("c-01", "c-06"))  # sent_at

    again = run_sends(wh, settings(sandbox.base_url))  # skipped is final, like sent
    assert (again.candidates, again.api_calls) == (0, 0)


def test_a_failed_send_whose_contact_unsubscribed_meanwhile_is_skipped(
    warehouse: Path, sandbox: SandboxHandle
) -> None:
    wh = make_warehouse(warehouse, [send_row("c-00")], [profile_row("c-00")])
    sandbox.inject_fault(status=400, method="POST", path="/api/events", times=1)  # rejected
    assert run_sends(wh, settings(sandbox.base_url, max_attempts=1)).failed == 1
    sql(
        wh,
        "update contacts.contact_profiles set is_suppressed = true,"
        " suppression_reason = 'spam_complaint'",
    )
    later = run_sends(wh, settings(sandbox.base_url))
    assert (later.sent, later.skipped) == (0, 1)
    assert ledger(wh)[send_row("c-00")["send_key"]][:3] == ("skipped", "spam_complaint", 1)
    assert events_by_unique_id(sandbox) == {}


def test_suppressions_made_in_klaviyo_land_once_and_stop_the_next_sends(
    warehouse: Path, sandbox: SandboxHandle
) -> None:
    wh = make_warehouse(
        warehouse, [send_row(c) for c in CONTACTS], [profile_row(c) for c in CONTACTS]
    )
    klaviyo = settings(sandbox.base_url)
    assert run_sends(wh, klaviyo).sent == 10  # creates the Klaviyo profiles
    nothing = read_back_suppressions(wh, klaviyo)
    assert (nothing.pulled, nothing.new, nothing.since) == (0, 0, None)

    when = datetime(2026, 12, 1, 8, 30)
    reasons = {
        "c-01": "UNSUBSCRIBE",
        "c-02": "HARD_BOUNCE",
        "c-03": "SPAM_COMPLAINT",
        "c-04": "INVALID_EMAIL",
        "c-05": "USER_SUPPRESSED",
    }
    for offset, (contact, reason) in enumerate(reasons.items()):
        sandbox.suppress(email(contact), reason, at=when + timedelta(minutes=offset))
    sandbox.clear_requests()
    pulled = read_back_suppressions(wh, klaviyo)
    assert (pulled.pulled, pulled.new, pulled.landed_events, pulled.unmatched) == (5, 5, 5, 0)
    assert invalid_requests(sandbox) == []
    (request,) = sandbox.requests()
    assert request["path"] == "/api/profiles"
    assert request["args"]["filter"] == [
        "greater-or-equal(subscriptions.email.marketing.suppression.timestamp,1970-01-01T00:00:00Z)"
    ]
    assert request["args"]["additional-fields[profile]"] == ["subscriptions"]

    raw = sql(
        wh,
        "select user_id, event, timestamp, properties, context from raw.events order by user_id",
    )
    assert [(r[0], r[1], r[2]) for r in raw] == [
        ("c-01", "Unsubscribed", when),
        ("c-02", "Email Bounced", when + timedelta(minutes=1)),
        ("c-03", "Email Marked as Spam", when + timedelta(minutes=2)),
        ("c-04", "Email Bounced", when + timedelta(minutes=3)),
        ("c-05", "Unsubscribed", when + timedelta(minutes=4)),
    ]
    properties = {r[0]: json.loads(r[3]) for r in raw}
    assert properties["c-01"]["source"] == "esp" and properties["c-01"]["channel"] == "email"
    assert properties["c-02"]["bounce_type"] == properties["c-04"]["bounce_type"] == "hard"
    assert {json.loads(r[4])["channel"] for r in raw} == {"email"}
    received = sql(wh, "select min(received_at) from raw.events")[0][0]
    assert received > utcnow() - timedelta(minutes=5)

    # a rerun pulls from the latest suppression (minus an hour) and adds nothing
    sandbox.clear_requests()
    rerun = read_back_suppressions(wh, klaviyo)
    assert (rerun.since, rerun.pulled, rerun.new, rerun.landed_events) == (
        when + timedelta(minutes=4) - timedelta(hours=1),
        5,
        0,
        0,
    )
    assert "2026-12-01T07:34:00Z" in sandbox.requests()[0]["args"]["filter"][0]
    assert sql(wh, "select count(*), count(distinct message_id) from raw.events") == [(5, 5)]
    assert sql(wh, "select count(*) from activation.esp_suppressions") == [(5,)]

    # the next sends of these contacts are skipped at once: the suppressions landed after
    # the as_of of this triggered_sends build (contact_profiles does not know them yet)
    add_sends(wh, [send_row(c, series="s2") for c in CONTACTS])
    result = run_sends(wh, klaviyo)
    assert (result.sent, result.skipped) == (5, 5)
    assert result.skipped_by_reason == {
        "esp_unsubscribed": 1,
        "esp_hard_bounce": 1,
        "esp_spam_complaint": 1,
        "esp_invalid_email": 1,
        "esp_user_suppressed": 1,
    }
    # once dbt has run past them, contact_profiles decides (e.g. a later re-subscribe)
    add_sends(wh, [send_row("c-01", series="s3")])
    rebuilt_at = utcnow() + timedelta(minutes=1)
    sql(wh, "update triggers.triggered_sends set as_of = ?", [rebuilt_at])
    set_policy(wh, LOOSE_POLICY, rebuilt_at)
    assert run_sends(wh, klaviyo).sent == 1

    # raw tables reloaded (e.g. regenerated): the next read-back lands them again, once
    sql(wh, "delete from raw.events where user_id in ('c-02', 'c-04')")
    reloaded = read_back_suppressions(wh, klaviyo)
    assert reloaded.since == when + timedelta(minutes=1) - timedelta(hours=1)
    assert (reloaded.new, reloaded.landed_events) == (0, 2)
    assert read_back_suppressions(wh, klaviyo).landed_events == 0
    assert sql(wh, "select count(*), count(distinct message_id) from raw.events") == [(5, 5)]


def test_a_suppression_of_a_profile_unknown_to_the_warehouse_is_kept_not_landed(
    warehouse: Path, sandbox: SandboxHandle
) -> None:
    wh = make_warehouse(warehouse, [], [profile_row("c-00")])
    body = {"data": {"type": "profile", "attributes": {"email": "Stranger@Example.com"}}}
    requests.post(
        f"{sandbox.base_url}/api/profile-import",
        headers={
            "Authorization": f"Klaviyo-API-Key {API_KEY}",
            "revision": "2026-07-15",
            "Content-Type": "application/vnd.api+json",
        },
        data=json.dumps(body),
        timeout=10,
    ).raise_for_status()
    sandbox.suppress("stranger@example.com", "SPAM_COMPLAINT")
    first = read_back_suppressions(wh, settings(sandbox.base_url))
    assert (first.new, first.landed_events, first.unmatched) == (1, 0, 1)
    assert sql(wh, "select email, contact_id, reason from activation.esp_suppressions") == [
        ("stranger@example.com", None, "spam_complaint")
    ]
    assert sql(wh, "select count(*) from raw.events") == [(0,)]


def test_a_suppression_of_an_erased_person_is_neither_kept_nor_landed(
    warehouse: Path, sandbox: SandboxHandle
) -> None:
    """Their ESP deletion may still be pending: the read-back must not bring their email and
    id back into the warehouse."""
    wh = make_warehouse(warehouse, [send_row("c-00")], [profile_row("c-00")])
    klaviyo = settings(sandbox.base_url)
    assert run_sends(wh, klaviyo).sent == 1  # the profile exists in Klaviyo
    with Warehouse(wh) as connection:
        add_tombstones(connection, email=email("c-00"), contact_ids=["c-00"], erased_at=utcnow())
    sandbox.suppress(email("c-00"), "UNSUBSCRIBE")

    pulled = read_back_suppressions(wh, klaviyo)

    assert (pulled.pulled, pulled.erased, pulled.new, pulled.landed_events) == (1, 1, 0, 0)
    assert sql(wh, "select count(*) from activation.esp_suppressions") == [(0,)]
    assert sql(wh, "select count(*) from raw.events") == [(0,)]
