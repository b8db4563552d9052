"""Topic opt-outs made in Braze (email subscription groups) and Customer.io (subscription
center topics) land once in raw.events as Email Preferences Updated, only where they ask for
less email than the warehouse knows, and stop the matching sends at once: the Klaviyo cases
of test_preference_readback.py, for the ESPs that are asked person by person (the people the
syncs hold there, activation.sync_state) through their contract servers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path

import pytest
import requests

from activation.batching import chunks
from activation.destinations.braze.sandbox import start_braze
from activation.destinations.braze.settings import braze_settings
from activation.destinations.customerio.sandbox import start_customerio
from activation.destinations.customerio.settings import customerio_settings
from activation.errors import ActivationError, ConfigurationError
from activation.preference_readback import read_back_preferences
from activation.sandbox.framework import SandboxHandle
from activation.sends import run_sends
from activation.settings import DestinationSettings, RetryPolicy
from activation.state import ensure_tables, mark_synced
from activation.synced_people import synced_refs
from activation.tombstones import add_tombstones
from activation.warehouse import Warehouse
from tests.sends_helpers import AS_OF, email, make_warehouse, profile_row, send_row
from tests.test_preference_readback import landed, subscribers_synced

BRAZE_KEY = "braze-preferences-key-4d2a"
CIO_SITE, CIO_KEY, CIO_APP_KEY = "site-7", "cio-track-key-8e1b", "cio-app-key-2f9c"
RETRY = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.05)
# Braze: one email subscription group per Nudge topic, and one that is none of Nudge's
BRAZE_GROUPS = {"reminders": "grp-rem-01", "feedback": "grp-fb-02", "offers": "grp-off-03"}
BRAZE_OTHER_GROUP = "grp-newsletter-09"
# Customer.io: subscription center topic ids
CIO_TOPICS = {"reminders": 1, "feedback": 2, "offers": 3}
CIO_OTHER_TOPIC = 9


@dataclass
class Esp:
    name: str
    handle: SandboxHandle
    settings: DestinationSettings
    add_people: Callable[[list[str]], None]  # contact ids (their address: email(contact))
    # a choice on the ESP's preference page: Nudge topic (or None: a topic Nudge lacks) -> on
    choose: Callable[[str, dict[str | None, bool]], None]
    preference_path: str  # the read-back endpoint


def braze(handle: SandboxHandle) -> Esp:
    headers = {"Authorization": f"Bearer {BRAZE_KEY}"}

    def add_people(contacts: list[str]) -> None:
        for part in chunks(contacts, 75):  # a /users/track call's attribute objects
            users = [{"external_id": contact, "email": email(contact)} for contact in part]
            post(f"{handle.base_url}/users/track", headers, {"attributes": users})

    def choose(contact: str, choices: dict[str | None, bool]) -> None:
        for topic, on in choices.items():
            body = {
                "subscription_group_id": BRAZE_OTHER_GROUP
                if topic is None
                else BRAZE_GROUPS[topic],
                "subscription_state": "subscribed" if on else "unsubscribed",
                "external_id": [contact],
            }
            post(f"{handle.base_url}/subscription/status/set", headers, body)

    groups = ",".join(f"{topic}={group}" for topic, group in BRAZE_GROUPS.items())
    env = {
        "BRAZE_BASE_URL": handle.base_url,
        "BRAZE_API_KEY": BRAZE_KEY,
        "BRAZE_PREFERENCE_GROUPS": groups,
    }
    return Esp(
        "braze",
        handle,
        braze_settings(env, retry=RETRY),
        add_people,
        choose,
        "/subscription/user/status",
    )


def customerio(handle: SandboxHandle) -> Esp:
    track = requests.auth.HTTPBasicAuth(CIO_SITE, CIO_KEY)

    def identify(contact: str, attributes: dict[str, object]) -> None:
        requests.put(
            f"{handle.base_url}/api/v1/customers/{contact}", json=attributes, auth=track, timeout=10
        ).raise_for_status()

    def add_people(contacts: list[str]) -> None:
        people = [
            {
                "type": "person",
                "identifiers": {"id": contact},
                "action": "identify",
                "attributes": {"email": email(contact)},
            }
            for contact in contacts
        ]
        requests.post(
            f"{handle.base_url}/api/v2/batch", json={"batch": people}, auth=track, timeout=10
        ).raise_for_status()

    def choose(contact: str, choices: dict[str | None, bool]) -> None:
        topics = {
            f"topic_{CIO_OTHER_TOPIC if topic is None else CIO_TOPICS[topic]}": on
            for topic, on in choices.items()
        }
        identify(contact, {"cio_subscription_preferences": {"topics": topics}})

    # the ids as Customer.io shows them, and one as the attribute names it
    topics = "reminders=1,feedback=2,offers=topic_3"
    env = {
        "CUSTOMERIO_SITE_ID": CIO_SITE,
        "CUSTOMERIO_API_KEY": CIO_KEY,
        "CUSTOMERIO_TRACK_URL": handle.base_url,
        "CUSTOMERIO_APP_URL": handle.base_url,
        "CUSTOMERIO_APP_API_KEY": CIO_APP_KEY,
        "CUSTOMERIO_PREFERENCE_TOPICS": topics,
    }
    return Esp(
        "customerio",
        handle,
        customerio_settings(env, retry=RETRY),
        add_people,
        choose,
        "/v1/customers/attributes",
    )


def post(url: str, headers: dict[str, str], body: object) -> None:
    requests.post(url, headers=headers, json=body, timeout=10).raise_for_status()


@pytest.fixture(params=["braze", "customerio"])
def esp(request: pytest.FixtureRequest) -> Iterator[Esp]:
    if request.param == "braze":
        groups = {group: group.upper() for group in [*BRAZE_GROUPS.values(), BRAZE_OTHER_GROUP]}
        with start_braze(BRAZE_KEY, subscription_groups=groups) as handle:
            yield braze(handle)
    else:
        with start_customerio(CIO_SITE, CIO_KEY, app_api_key=CIO_APP_KEY) as handle:
            yield customerio(handle)


def synced(wh: Path, esp: Esp, contacts: list[str]) -> None:
    """The people a subscribers sync confirmed in the ESP: there, and in sync_state."""
    esp.add_people(contacts)
    with Warehouse(wh) as warehouse:
        ensure_tables(warehouse)
        mark_synced(
            warehouse,
            (f"{esp.name}_subscribers", esp.settings.target),
            {email(c): "hash" for c in contacts},
            {email(c): c for c in contacts},
        )


def preference_calls(esp: Esp) -> list[dict[str, object]]:
    return [r for r in esp.handle.requests() if r["path"] == esp.preference_path]


def test_narrowing_topic_choices_land_once_and_stop_the_sends(tmp_path: Path, esp: Esp) -> None:
    contacts = ["c-00", "c-01", "c-02", "c-03"]
    sends = [send_row(c, trigger_key="winback", topic="offers") for c in contacts]
    wh = make_warehouse(tmp_path / "w.duckdb", sends, [profile_row(c) for c in contacts])
    subscribers_synced(
        wh,
        [
            (email("c-00"), "all", "[]"),
            (email("c-01"), "all", '["offers"]'),  # the warehouse has it already
            (email("c-02"), "all", '["offers"]'),
            (email("c-03"), "all", '["reminders"]'),
        ],
    )
    synced(wh, esp, [*contacts, "c-04", "c-05", "c-08"])
    # on the ESP's preference page: c-00 drops offers; c-01 changes nothing Nudge lacks;
    # c-02 takes offers back (not read back); c-03 takes reminders back (not read back) and
    # drops feedback; c-04 chooses nothing; c-05 drops only a topic that is none of Nudge's
    esp.choose("c-00", {"offers": False, "reminders": True})
    esp.choose("c-01", {"offers": False})
    esp.choose("c-02", {"offers": True})
    esp.choose("c-03", {"reminders": True, "feedback": False})
    esp.choose("c-05", {None: False})
    # someone in the ESP whom no sync holds is not asked about
    esp.add_people(["c-07"])
    esp.choose("c-07", {"offers": False})
    # an erased person whose ESP deletion is pending: their choice must not bring them back
    esp.choose("c-08", {"offers": False})
    with Warehouse(wh) as warehouse:
        add_tombstones(warehouse, email=email("c-08"), contact_ids=["c-08"], erased_at=AS_OF)

    first = read_back_preferences(wh, esp.settings)

    assert (first.supported, first.profiles, first.landed_events, first.unmatched) == (
        True,
        5,  # c-00, c-01, c-02, c-03, c-08
        2,
        0,
    )
    assert landed(wh) == [
        ("c-00", {"topic": "offers", "subscribed": False}),
        ("c-03", {"topic": "feedback", "subscribed": False}),
    ]
    asked = [r["args"].get("external_id[]") or r["body"]["ids"] for r in preference_calls(esp)]
    assert [sorted(ids) for ids in asked] == [sorted([*contacts, "c-04", "c-05", "c-08"])]
    assert read_back_preferences(wh, esp.settings).landed_events == 0  # asked again

    result = run_sends(wh, esp.settings)
    assert result.skipped_by_reason == {"topic_opted_out_after_build": 1}  # c-00's offers
    assert result.sent == 3


def test_people_are_asked_in_batches_of_what_one_call_takes(tmp_path: Path, esp: Esp) -> None:
    wh = make_warehouse(tmp_path / "w.duckdb", [], [])
    contacts = [f"c-{n:03d}" for n in range(120)]
    synced(wh, esp, contacts)
    esp.choose("c-119", {"offers": False})

    result = read_back_preferences(wh, esp.settings)

    sizes = [len(r["args"].get("external_id[]") or r["body"]["ids"]) for r in preference_calls(esp)]
    assert sizes == ([50, 50, 20] if esp.name == "braze" else [100, 20])
    assert (result.profiles, landed(wh)) == (
        1,
        [("c-119", {"topic": "offers", "subscribed": False})],
    )


def test_an_opt_out_taken_back_and_made_again(tmp_path: Path, esp: Esp) -> None:
    """Customer.io says when preferences changed: an opt-out made again after taking it back
    is a new change and lands. Braze keeps no time of a group change: the same opt-out of the
    same person is one change, landed once (a stale value never lands twice)."""
    wh = make_warehouse(tmp_path / "w.duckdb", [], [])
    synced(wh, esp, ["c-00"])
    esp.choose("c-00", {"offers": False})
    assert read_back_preferences(wh, esp.settings).landed_events == 1
    time.sleep(1.1)  # Customer.io's timestamps are whole seconds
    esp.choose("c-00", {"offers": True})
    esp.choose("c-00", {"offers": False})

    again = read_back_preferences(wh, esp.settings)

    assert again.landed_events == (0 if esp.name == "braze" else 1)


def test_without_a_topic_mapping_nothing_is_asked(tmp_path: Path, esp: Esp) -> None:
    wh = make_warehouse(tmp_path / "w.duckdb", [], [])
    synced(wh, esp, ["c-00"])
    esp.choose("c-00", {"offers": False})
    settings = replace(esp.settings, options=replace(esp.settings.options, preference_topics=()))

    result = read_back_preferences(wh, settings)

    assert (result.supported, result.landed_events, preference_calls(esp)) == (False, 0, [])


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("BRAZE_PREFERENCE_GROUPS", "promotions=grp-1", "'promotions' is not a Nudge email topic"),
        ("BRAZE_PREFERENCE_GROUPS", "offers", "<nudge topic>=<id> pairs"),
        ("BRAZE_PREFERENCE_GROUPS", "offers=grp-1,reminders=grp-1", "one ESP id is one topic"),
        ("BRAZE_PREFERENCE_GROUPS", "offers=grp-1,offers=grp-2", "names the topic 'offers' twice"),
        ("CUSTOMERIO_PREFERENCE_TOPICS", "offers=Offers", "not a subscription center topic id"),
        ("CUSTOMERIO_PREFERENCE_TOPICS", "offer=3", "'offer' is not a Nudge email topic"),
    ],
)
def test_a_wrong_topic_mapping_names_the_variable_and_the_fix(
    variable: str, value: str, named: str
) -> None:
    env = {
        "BRAZE_BASE_URL": "https://rest.iad-01.braze.com",
        "BRAZE_API_KEY": BRAZE_KEY,
        "CUSTOMERIO_SITE_ID": CIO_SITE,
        "CUSTOMERIO_API_KEY": CIO_KEY,
        variable: value,
    }
    build = braze_settings if variable.startswith("BRAZE") else customerio_settings
    with pytest.raises(ConfigurationError) as raised:
        build(env)
    assert variable in str(raised.value) and named in str(raised.value)


def test_synced_people_are_read_page_by_page_each_once(tmp_path: Path) -> None:
    wh = make_warehouse(tmp_path / "w.duckdb", [], [])
    refs = {f"c-{n:03d}": f"c-{n:03d}" for n in range(120)}
    with Warehouse(wh) as warehouse:
        ensure_tables(warehouse)
        for sync in ("a", "b"):  # two syncs holding the same people: each asked about once
            mark_synced(warehouse, (sync, "braze:here"), dict.fromkeys(refs, "h"), refs)
        mark_synced(warehouse, ("a", "braze:elsewhere"), {"x": "h"}, {"x": "c-999"})
        read = list(islice(synced_refs(warehouse, "braze:here", page=7), 1000))
    assert read == sorted(refs)


def test_customerio_topics_without_an_app_api_key_fail_naming_it(tmp_path: Path) -> None:
    with start_customerio(CIO_SITE, CIO_KEY, app_api_key=CIO_APP_KEY) as handle:
        esp = customerio(handle)
        wh = make_warehouse(tmp_path / "w.duckdb", [], [])
        synced(wh, esp, ["c-00"])
        keyless = replace(esp.settings, options=replace(esp.settings.options, app_api_key=None))
        with pytest.raises(ActivationError, match="export CUSTOMERIO_APP_API_KEY="):
            read_back_preferences(wh, keyless)
