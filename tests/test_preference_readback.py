"""Email preferences changed in Klaviyo (a preference page writing the profile properties
the subscribers sync sets) land once in raw.events as Email Preferences Updated, only where
they ask for less email than the warehouse knows, and stop the matching sends at once
(activation/preference_readback.py, then the send gate)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from activation.destinations.klaviyo.sandbox import SandboxHandle, start_sandbox
from activation.preference_readback import read_back_preferences
from activation.sends import run_sends
from activation.tombstones import add_tombstones
from activation.warehouse import Warehouse
from tests.sends_helpers import (
    API_KEY,
    AS_OF,
    email,
    make_warehouse,
    profile_row,
    send_row,
    settings,
    sql,
)

HEADERS = {
    "Authorization": f"Klaviyo-API-Key {API_KEY}",
    "revision": "2026-07-15",
    "Content-Type": "application/vnd.api+json",
}


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    with start_sandbox(API_KEY) as handle:
        yield handle


def set_profile(sandbox: SandboxHandle, contact_id: str | None, address: str, **properties: Any):
    attributes: dict[str, Any] = {"email": address, "properties": properties}
    if contact_id is not None:
        attributes["external_id"] = contact_id
    body = {"data": {"type": "profile", "attributes": attributes}}
    requests.post(
        f"{sandbox.base_url}/api/profile-import",
        headers=HEADERS,
        data=json.dumps(body),
        timeout=10,
    ).raise_for_status()


def subscribers_synced(wh: Path, rows: list[tuple[str, str, str]]) -> None:
    """syncs.sync_klaviyo_subscribers as the warehouse last had it: email, frequency, topics."""
    sql(wh, "create schema if not exists syncs")
    sql(
        wh,
        "create table syncs.sync_klaviyo_subscribers"
        " (email varchar, email_frequency varchar, unsubscribed_topics varchar)",
    )
    for row in rows:
        sql(wh, "insert into syncs.sync_klaviyo_subscribers values (?, ?, ?)", list(row))


def landed(wh: Path) -> list[tuple[str, dict[str, Any]]]:
    rows = sql(
        wh,
        "select user_id, properties from raw.events"
        " where event = 'Email Preferences Updated' order by user_id, properties",
    )
    choice = ("topic", "subscribed", "frequency")
    return [(user, {k: v for k, v in json.loads(p).items() if k in choice}) for user, p in rows]


def test_narrowing_choices_made_in_klaviyo_land_once_and_stop_the_sends(
    tmp_path: Path, sandbox: SandboxHandle
) -> None:
    contacts = ["c-00", "c-01", "c-02", "c-03"]
    sends = [send_row(c, trigger_key="winback", topic="offers") for c in contacts]
    wh = make_warehouse(tmp_path / "w.duckdb", sends, [profile_row(c) for c in contacts])
    subscribers_synced(
        wh,
        [
            (email("c-00"), "all", "[]"),
            (email("c-01"), "weekly", '["offers"]'),  # the warehouse has it already
            (email("c-02"), "monthly", "[]"),
            (email("c-03"), "all", '["reminders"]'),
        ],
    )
    klaviyo = settings(sandbox.base_url)
    # in Klaviyo's preference page: c-00 drops offers and asks for weekly email (no external
    # id on the profile: matched by its address); c-01 changes nothing Nudge lacks; c-02 asks
    # for weekly (looser than its monthly: not read back); c-03 takes reminders back (not
    # read back either) and drops feedback
    set_profile(sandbox, None, email("c-00").upper(), nudge_unsubscribed_topics=["Offers"],
                nudge_email_frequency="weekly")  # fmt: skip
    set_profile(sandbox, "c-01", email("c-01"), nudge_unsubscribed_topics=["offers"])
    set_profile(sandbox, "c-02", email("c-02"), nudge_email_frequency="weekly")
    set_profile(sandbox, "c-03", email("c-03"), nudge_unsubscribed_topics=["feedback"])
    set_profile(sandbox, None, "stranger@example.com", nudge_unsubscribed_topics=["offers"])
    # an erased person whose ESP deletion is pending: their choice must not bring them back
    set_profile(sandbox, "c-08", "gone@example.com", nudge_unsubscribed_topics=["offers"])
    with Warehouse(wh) as warehouse:
        add_tombstones(warehouse, email="gone@example.com", contact_ids=["c-08"], erased_at=AS_OF)

    first = read_back_preferences(wh, klaviyo)

    assert (first.profiles, first.landed_events, first.unmatched) == (6, 3, 1)
    assert landed(wh) == [
        ("c-00", {"frequency": "weekly"}),
        ("c-00", {"topic": "offers", "subscribed": False}),
        ("c-03", {"topic": "feedback", "subscribed": False}),
    ]
    assert read_back_preferences(wh, klaviyo).landed_events == 0  # the lookback re-reads

    result = run_sends(wh, klaviyo)
    assert result.skipped_by_reason == {"topic_opted_out_after_build": 1}  # c-00's offers
    assert result.sent == 3
