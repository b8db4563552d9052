"""The engagement pull from Customer.io (App API messages) and Mailchimp (campaign email
activity), each against its contract server simulating the engagement of the triggered
sends it received: every engagement lands in raw.events once, attributed to the send it
answers (send_key, trigger_key, step, variant from the ledger, since neither ESP echoes
them); a rerun lands nothing; an outage (5xx) fails the pull without moving its cursor, so
the next pull lands what the failed one missed. Braze and the webhook are refused with what
to connect instead."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from activation.destinations.braze.sandbox import start_braze
from activation.destinations.customerio import engagement as customerio_engagement
from activation.destinations.customerio.engagement import METRICS as CUSTOMERIO_METRICS
from activation.destinations.customerio.sandbox import start_customerio
from activation.destinations.customerio.settings import customerio_settings
from activation.destinations.mailchimp import engagement as mailchimp_engagement
from activation.destinations.mailchimp.engagement import ACTIONS as MAILCHIMP_ACTIONS
from activation.destinations.mailchimp.sandbox import start_mailchimp
from activation.destinations.mailchimp.settings import mailchimp_settings
from activation.destinations.registry import destination_settings
from activation.engagement import pull_engagement
from activation.errors import ActivationError, ConfigurationError
from activation.sandbox.framework import EngagementConfig, SandboxHandle
from activation.sandbox.serve_esp import sandbox_app as served_app
from activation.sends import run_sends
from activation.settings import DestinationSettings, RetryPolicy
from tests.sends_helpers import email, make_warehouse, nudge, profile_row, send_row, sql

KEY = "k5d1a-esp-test-key"
APP_KEY = "cio-app-key-never-logged-9e2b"
CONTACTS = [f"c-{i:03d}" for i in range(40)]
TRIGGERS = {"cart_abandonment": "Nudge Cart Abandonment", "welcome": "Nudge Welcome"}
ENGAGEMENT = EngagementConfig(
    seed=5, open_rate=0.5, click_rate=0.4, bounce_rate=0.05, unsubscribe_rate=0.05, spam_rate=0.05
)
RETRY = RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_max=0.02)
LATER = timedelta(days=3)  # the simulated engagement is stamped up to a day after the send


@pytest.fixture(autouse=True)
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of a few messages or recipients, so every pull reads several."""
    monkeypatch.setattr(customerio_engagement, "PAGE_SIZE", 7)
    monkeypatch.setattr(mailchimp_engagement, "ACTIVITY_PAGE", 4)


@dataclass
class Esp:
    name: str
    server: SandboxHandle
    settings: DestinationSettings
    engagement: Callable[[], Counter[str]]  # raw event name -> count the ESP holds
    report_paths: list[str]  # a regex per report the pull reads
    env: dict[str, str]  # what `nudge pull` reads its settings from


@contextmanager
def customerio(engagement: EngagementConfig = ENGAGEMENT) -> Iterator[Esp]:
    campaigns = {metric: 100 + i for i, metric in enumerate(TRIGGERS.values())}
    with start_customerio(
        "site", KEY, app_api_key=APP_KEY, campaigns=campaigns, engagement=engagement
    ) as server:
        env = {
            "CUSTOMERIO_SITE_ID": "site",
            "CUSTOMERIO_API_KEY": KEY,
            "CUSTOMERIO_TRACK_URL": server.base_url,
            "CUSTOMERIO_APP_URL": server.base_url,
            "CUSTOMERIO_APP_API_KEY": APP_KEY,
            "CUSTOMERIO_REPORT_CAMPAIGNS": ",".join(
                f"{trigger}={campaigns[metric]}" for trigger, metric in TRIGGERS.items()
            ),
        }

        def held() -> Counter[str]:
            return Counter(
                CUSTOMERIO_METRICS[metric]
                for message in server.app.messages  # type: ignore[attr-defined]
                for metric in message["metrics"]
                if metric in CUSTOMERIO_METRICS
            )

        settings = customerio_settings(env, retry=RETRY)
        yield Esp("customerio", server, settings, held, ["^/v1/"], env)


@contextmanager
def mailchimp(engagement: EngagementConfig = ENGAGEMENT) -> Iterator[Esp]:
    campaigns = {metric: f"cmp-{trigger}" for trigger, metric in TRIGGERS.items()}
    with start_mailchimp(
        KEY, audiences=("aud1",), campaigns=campaigns, engagement=engagement
    ) as server:
        for contact in CONTACTS:  # events need members
            server.app._upsert(  # type: ignore[attr-defined]
                server.app.members["aud1"],  # type: ignore[attr-defined]
                {"email_address": email(contact), "status": "subscribed"},
                True,
            )
        env = {
            "MAILCHIMP_API_KEY": KEY,
            "MAILCHIMP_BASE_URL": f"{server.base_url}/3.0",
            "MAILCHIMP_AUDIENCE_ID": "aud1",
            "MAILCHIMP_REPORT_CAMPAIGNS": ",".join(f"{t}=cmp-{t}" for t in TRIGGERS),
        }

        def held() -> Counter[str]:
            return Counter(
                MAILCHIMP_ACTIONS[record["action"]]
                for by_member in server.app.activity.values()  # type: ignore[attr-defined]
                for records in by_member.values()
                for record in records
            )

        paths = [f"^/3.0/reports/cmp-{trigger}/" for trigger in TRIGGERS]
        yield Esp("mailchimp", server, mailchimp_settings(env, retry=RETRY), held, paths, env)


ESPS = [customerio, mailchimp]


def sends_of_two_triggers() -> list[dict[str, Any]]:
    """Two triggers, both variants."""
    rows = []
    for index, contact in enumerate(CONTACTS):
        trigger = list(TRIGGERS)[index % 2]
        row = send_row(contact, trigger_key=trigger, metric=TRIGGERS[trigger])
        row["variant"] = "B" if index % 3 else "A"
        rows.append(row)
    return rows


def _sent(warehouse: Path, esp: Esp) -> list[dict[str, Any]]:
    sends = sends_of_two_triggers()
    make_warehouse(warehouse, sends, [profile_row(c) for c in CONTACTS])
    assert run_sends(warehouse, esp.settings).sent == len(sends)
    return sends


def _landed(warehouse: Path) -> list[tuple[str, str | None, dict[str, Any]]]:
    rows = sql(
        warehouse,
        "select event, user_id, properties from raw.events"
        " where message_id like 'esp-engagement-%'",
    )
    return [(str(event), user, json.loads(props)) for event, user, props in rows]


@pytest.mark.parametrize("esp_server", ESPS, ids=lambda f: f.__name__)
def test_engagement_lands_once_attributed_to_its_send(
    warehouse: Path, esp_server: Callable[[], Any]
) -> None:
    with esp_server() as esp:
        sends = _sent(warehouse, esp)
        held = esp.engagement()
        assert (
            held["Email Opened"] > 5
            and held["Email Link Clicked"] > 0
            and held["Email Bounced"] > 0
        )

        first = pull_engagement(warehouse, esp.settings, until=datetime.now() + LATER)
        assert first.window_start is None
        landed = _landed(warehouse)
        assert Counter(event for event, _, _ in landed) == held
        assert first.landed == len(landed) == sum(held.values())
        assert first.unmatched == 0 and first.api_calls > 0

        by_key = {row["send_key"]: row for row in sends}
        for event, user_id, props in landed:
            send = by_key[props["send_key"]]
            assert user_id == send["contact_id"]
            assert (props["trigger_key"], props["step"], props["variant"], props["esp"]) == (
                send["trigger_key"],
                send["step"],
                send["variant"],
                esp.name,
            )
            if event == "Email Link Clicked" and esp.name == "mailchimp":
                assert props["link_url"].startswith("https://")
            if event == "Email Bounced":
                assert props["bounce_type"] == "hard"
        assert {props["send_key"] for _, _, props in landed} <= set(by_key)

        # a rerun reading the same events again lands nothing
        again = pull_engagement(
            warehouse, esp.settings, lookback=timedelta(days=5), until=datetime.now() + LATER
        )
        assert again.landed == 0 and again.pulled >= len(landed)
        assert len(_landed(warehouse)) == len(landed)
        pulls = sql(warehouse, "select count(*), sum(landed) from activation.engagement_pulls")
        assert pulls == [(2, len(landed))]


@pytest.mark.parametrize("esp_server", ESPS, ids=lambda f: f.__name__)
def test_an_outage_loses_nothing_the_next_pull_lands_it(
    warehouse: Path, esp_server: Callable[[], Any]
) -> None:
    with esp_server() as esp:
        _sent(warehouse, esp)
        expected = sum(esp.engagement().values())
        # the last report the pull reads fails: what was read before it may have landed
        esp.server.inject_fault(503, method="GET", path=esp.report_paths[-1], times=None)
        with pytest.raises(ActivationError, match="503"):
            pull_engagement(warehouse, esp.settings, until=datetime.now() + LATER)
        partly = len(_landed(warehouse))
        assert partly < expected
        assert sql(warehouse, "select count(*) from activation.engagement_pulls") == [(0,)]

        esp.server.clear_faults()
        after = pull_engagement(warehouse, esp.settings, until=datetime.now() + LATER)
        assert after.window_start is None  # the failed pull moved no cursor
        assert after.landed == expected - partly
        assert len(_landed(warehouse)) == expected


def test_customerio_pull_needs_the_app_api_key(warehouse: Path) -> None:
    with customerio() as esp:
        make_warehouse(warehouse, [], [])
        env = {
            "CUSTOMERIO_SITE_ID": "site",
            "CUSTOMERIO_API_KEY": KEY,
            "CUSTOMERIO_TRACK_URL": esp.server.base_url,
        }
        with pytest.raises(ConfigurationError, match="CUSTOMERIO_APP_API_KEY"):
            pull_engagement(warehouse, customerio_settings(env))


def test_mailchimp_pull_needs_the_report_campaigns(warehouse: Path) -> None:
    make_warehouse(warehouse, [], [])
    env = {"MAILCHIMP_API_KEY": KEY, "MAILCHIMP_BASE_URL": "http://127.0.0.1:9/3.0"}
    with pytest.raises(ConfigurationError, match="MAILCHIMP_REPORT_CAMPAIGNS"):
        pull_engagement(warehouse, mailchimp_settings(env))


@pytest.mark.parametrize("esp_server", ESPS, ids=lambda f: f.__name__)
def test_nudge_pull_reads_the_sends_destination(
    warehouse: Path, esp_server: Callable[[], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # engagement at the send time: a pull ending now reads it all
    with esp_server(dataclasses.replace(ENGAGEMENT, time_scale=0.0)) as esp:
        _sent(warehouse, esp)
        for name, value in {**esp.env, "NUDGE_SENDS_DESTINATION": esp.name}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr("nudge.cli.console", Console(width=200))
        code, output = nudge("pull", "--warehouse", str(warehouse))
        assert code == 0, output
        landed = len(_landed(warehouse))
        assert landed > 0 and "Email Opened" in output and f"{landed:,}" in output
        code, output = nudge("pull", "--warehouse", str(warehouse))
        assert code == 0, output
        assert len(_landed(warehouse)) == landed


def test_nudge_pull_from_braze_is_refused_with_what_to_connect(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_warehouse(warehouse, [], [])
    with start_braze(KEY) as server:
        monkeypatch.setenv("NUDGE_SENDS_DESTINATION", "braze")
        monkeypatch.setenv("BRAZE_BASE_URL", server.base_url)
        monkeypatch.setenv("BRAZE_API_KEY", KEY)
        monkeypatch.setattr("nudge.cli.console", Console(width=200))
        code, output = nudge("pull", "--warehouse", str(warehouse))
        assert code == 2, output
        assert "Currents" in output and "raw.events" in output and "Traceback" not in output
        assert server.requests() == []
    assert sql(warehouse, "select count(*) from raw.events") == [(0,)]


def test_the_served_contract_servers_report_what_nudge_pull_reads(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m activation.destinations.customerio.sandbox` (and `.mailchimp.sandbox`)
    with NUDGE_SANDBOX_CAMPAIGNS simulate the engagement that `nudge pull` then reads,
    configured from one environment."""
    campaigns = {"customerio": "101", "mailchimp": "cmp-welcome"}
    for name, campaign in campaigns.items():
        env = {
            "NUDGE_SANDBOX_CAMPAIGNS": f"Nudge Welcome={campaign}",
            "CUSTOMERIO_SITE_ID": "site",
            "CUSTOMERIO_API_KEY": KEY,
            "CUSTOMERIO_APP_API_KEY": APP_KEY,
            "MAILCHIMP_API_KEY": KEY,
            "MAILCHIMP_AUDIENCE_ID": "aud0001",
            f"{name.upper()}_REPORT_CAMPAIGNS": f"welcome={campaign}",
            "NUDGE_SENDS_DESTINATION": name,
        }
        for variable, value in env.items():
            monkeypatch.setenv(variable, value)
        with SandboxHandle(served_app(name)) as server:
            monkeypatch.setenv("CUSTOMERIO_TRACK_URL", server.base_url)
            monkeypatch.setenv("CUSTOMERIO_APP_URL", server.base_url)
            monkeypatch.setenv("MAILCHIMP_BASE_URL", f"{server.base_url}/3.0")
            contacts = CONTACTS[:8]
            path = warehouse.parent / name / "nudge.duckdb"
            sends = [send_row(c, trigger_key="welcome", metric="Nudge Welcome") for c in contacts]
            make_warehouse(path, sends, [profile_row(c) for c in contacts])
            if name == "mailchimp":
                for contact in contacts:
                    server.app._upsert(  # type: ignore[attr-defined]
                        server.app.members["aud0001"],  # type: ignore[attr-defined]
                        {"email_address": email(contact), "status": "subscribed"},
                        True,
                    )
            assert run_sends(path, destination_settings(name)).sent == len(contacts)
            pulled = pull_engagement(path, destination_settings(name), until=datetime.now() + LATER)
            assert pulled.landed > 0
            assert {props["trigger_key"] for _, _, props in _landed(path)} == {"welcome"}


def test_the_app_api_key_never_shows_in_a_failed_pull(warehouse: Path) -> None:
    """A proxy in front of the App API answers with the request's Authorization header in
    its error page: the pull's error quotes the page, the key redacted."""
    with customerio() as esp:
        make_warehouse(warehouse, [], [])
        esp.server.inject_fault(
            502,
            method="GET",
            path="^/v1/",
            times=None,
            body=f"<html>bad gateway for Authorization: Bearer {APP_KEY}</html>",
        )
        with pytest.raises(ActivationError) as failed:
            pull_engagement(warehouse, esp.settings)
    message = str(failed.value)
    assert "bad gateway" in message and "[REDACTED]" in message and APP_KEY not in message
    assert sql(warehouse, "select count(*) from activation.engagement_pulls") == [(0,)]
