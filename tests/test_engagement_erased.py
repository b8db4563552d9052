"""The engagement pull does not bring an erased person back into the warehouse. Their opens
and clicks stay at an ESP account until its deletion is done (Klaviyo deletes
asynchronously; an account the erasure could not reach keeps them until a rerun), and the
pull reads them like anyone's: they are counted and dropped, as the suppression read-back
drops an erased person's suppressions, never landed in raw.events under their contact id
or address."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from activation.destinations.klaviyo.sandbox import start_sandbox
from activation.engagement import pull_engagement
from activation.errors import ActivationError
from activation.runs import erase_contact
from activation.sandbox.framework import EngagementConfig
from activation.sends import run_sends
from activation.settings import DestinationSettings
from tests.sends_helpers import API_KEY, email, make_warehouse, profile_row, send_row, settings, sql

CONTACTS = ("c-1", "c-2")
# every email delivered, opened and clicked, at the send instant
EVERYONE_ENGAGES = EngagementConfig(
    bounce_rate=0, open_rate=1, click_rate=1, unsubscribe_rate=0, spam_rate=0, time_scale=0
)


def unreachable(destination: str) -> DestinationSettings:
    raise ActivationError(f"no {destination} key in this shell")


def test_an_erased_persons_engagement_is_not_landed(warehouse: Path) -> None:
    wh = make_warehouse(
        warehouse, [send_row(c) for c in CONTACTS], [profile_row(c) for c in CONTACTS]
    )
    with start_sandbox(API_KEY, engagement=EVERYONE_ENGAGES) as sandbox:
        klaviyo = settings(sandbox.base_url)
        assert run_sends(wh, klaviyo).sent == len(CONTACTS)
        # erased in the warehouse; Klaviyo, out of this shell's reach, still holds them
        erasure = erase_contact(wh, email("c-1"), unreachable)
        assert list(erasure.failed) == [klaviyo.target]

        pulled = pull_engagement(wh, klaviyo, until=datetime.now() + timedelta(days=1))

    landed = sql(
        wh,
        "select user_id, anonymous_id, properties from raw.events"
        " where message_id like 'esp-engagement-%'",
    )
    assert {user for user, _, _ in landed} == {"c-2"}  # c-2's events, none of c-1's
    assert pulled.landed == len(landed) > 0
    assert pulled.erased == pulled.pulled - pulled.landed > 0
    assert not any("c-1" in str(row) for row in landed)
