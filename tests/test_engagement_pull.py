"""The ESP engagement pull: Klaviyo's engagement events (simulated by the sandbox for the
triggered sends) land in raw.events as the raw contract's ESP feedback events, each once,
carrying the send they answer; the cursor is kept in the warehouse and a rerun adds nothing."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests

from activation.destinations.klaviyo.engagement import RAW_EVENT_NAMES
from activation.destinations.klaviyo.sandbox import SandboxHandle, start_sandbox
from activation.engagement import pull_engagement
from activation.sandbox.framework import EngagementConfig
from activation.sends import run_sends
from tests.sends_helpers import (
    API_KEY,
    invalid_requests,
    make_warehouse,
    profile_row,
    send_row,
    settings,
    sql,
)

CONTACTS = [f"c-{i:03d}" for i in range(60)]
ENGAGEMENT = EngagementConfig(
    seed=3, open_rate=0.5, click_rate=0.4, bounce_rate=0.05, unsubscribe_rate=0.05, spam_rate=0.05
)


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    with start_sandbox(API_KEY, engagement=ENGAGEMENT) as handle:
        yield handle


def _engagement_in_sandbox(sandbox: SandboxHandle) -> Counter[str]:
    return Counter(
        RAW_EVENT_NAMES[e["metric_name"]]
        for e in sandbox.events()
        if e["metric_name"] in RAW_EVENT_NAMES
    )


def _landed(path: Path) -> list[tuple[str, str, str, str]]:
    return [
        (str(r[0]), str(r[1]), str(r[2]), str(r[3]))
        for r in sql(
            path,
            "select message_id, event, user_id, properties from raw.events"
            " where message_id like 'esp-engagement-%'",
        )
    ]


def test_engagement_lands_once_with_the_send_it_answers(
    warehouse: Path, sandbox: SandboxHandle
) -> None:
    sends = [send_row(c) for c in CONTACTS]
    for index, row in enumerate(sends):
        row["variant"] = "B" if index % 2 else "A"
    wh = make_warehouse(warehouse, sends, [profile_row(c) for c in CONTACTS])
    klaviyo = settings(sandbox.base_url)
    assert run_sends(wh, klaviyo).sent == len(CONTACTS)
    expected = _engagement_in_sandbox(sandbox)
    assert expected["Email Delivered"] > 40 and expected["Email Link Clicked"] > 0

    # the simulated events are stamped up to hours after the send: a window ending now
    # reads only what has happened by now, a later pull reads the rest
    early = pull_engagement(wh, klaviyo)
    assert early.window_start is None and early.landed < sum(expected.values())
    later = pull_engagement(wh, klaviyo, until=datetime.now() + timedelta(days=2))
    assert later.window_start == early.window_end - timedelta(hours=1)
    landed = _landed(wh)
    assert Counter(event for _, event, _, _ in landed) == expected
    assert early.landed + later.landed == len(landed) == sum(expected.values())
    assert later.by_event and sum(later.by_event.values()) == later.landed

    by_key = {row["send_key"]: row for row in sends}
    for _, event, user_id, properties in landed:
        props = json.loads(properties)
        send = by_key[props["send_key"]]
        assert user_id == send["contact_id"]
        assert (props["trigger_key"], props["step"], props["variant"]) == (
            send["trigger_key"],
            send["step"],
            send["variant"],
        )
        assert props["email_id"] == send["send_key"]
        if event == "Email Bounced":
            assert props["bounce_type"] == "hard"
        if event == "Email Link Clicked":
            assert props["link_url"].startswith("https://")
        if event == "Unsubscribed":
            assert (props["channel"], props["source"]) == ("email", "esp")
    contexts = sql(wh, "select distinct context from raw.events where message_id like 'esp-eng%'")
    assert contexts == [(json.dumps({"channel": "email"}),)]

    # a rerun re-reading the same events (a lookback over the whole window) adds nothing
    again = pull_engagement(
        wh, klaviyo, lookback=timedelta(days=5), until=datetime.now() + timedelta(days=2)
    )
    assert (again.landed, again.pulled) == (0, len(landed))
    assert len(_landed(wh)) == len(landed)
    pulls = sql(wh, "select count(*), sum(landed) from activation.engagement_pulls")
    assert pulls == [(3, len(landed))]
    assert invalid_requests(sandbox) == []


def test_raw_reload_pulls_from_the_beginning_and_unknown_profiles_are_kept(
    warehouse: Path, sandbox: SandboxHandle
) -> None:
    wh = make_warehouse(
        warehouse, [send_row(c) for c in CONTACTS[:20]], [profile_row(c) for c in CONTACTS[:20]]
    )
    klaviyo = settings(sandbox.base_url)
    run_sends(wh, klaviyo)
    future = datetime.now() + timedelta(days=2)
    first = pull_engagement(wh, klaviyo, until=future)
    assert first.landed == sum(_engagement_in_sandbox(sandbox).values()) > 0

    sql(wh, "delete from raw.events")  # the raw tables were reloaded
    reloaded = pull_engagement(wh, klaviyo, until=future)
    assert reloaded.window_start is None and reloaded.landed == first.landed

    # engagement of a profile that is no contact (no external_id, unknown email) is kept
    # under the ESP's profile id, not dropped
    body = {
        "data": {
            "type": "event",
            "attributes": {
                "properties": {"trigger_key": "welcome"},
                "metric": {"data": {"type": "metric", "attributes": {"name": "Nudge Welcome"}}},
                "profile": {"data": {"type": "profile", "attributes": {"email": "x@else.org"}}},
                "unique_id": "not-ours-1",
            },
        }
    }
    headers = {
        "Authorization": f"Klaviyo-API-Key {API_KEY}",
        "revision": "2026-07-15",
        "Content-Type": "application/vnd.api+json",
    }
    answer = requests.post(f"{sandbox.base_url}/api/events", json=body, headers=headers, timeout=10)
    assert answer.status_code == 202
    stranger = pull_engagement(wh, klaviyo, lookback=timedelta(days=3), until=future)
    assert stranger.landed == stranger.unmatched > 0
    rows = sql(
        wh,
        "select user_id, anonymous_id from raw.events where message_id like 'esp-engagement-%'"
        " and user_id is null",
    )
    assert len(rows) == stranger.unmatched
    assert all(anonymous.startswith("klaviyo:") for _, anonymous in rows)
