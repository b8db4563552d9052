"""Triggered sends through each non-Klaviyo destination, with the send runner crashing right
after the ESP call (before the ledger records the outcome) and a rerun: where the ESP has an
idempotency key (Braze ``external_send_id``, Customer.io event ``id``, the webhook's
``unique_id``) the interrupted sends are sent again and each is delivered once; Mailchimp
has none, so the runner gives those up ('failed', outcome_unknown) instead of risking a
second delivery: each send still reaches Mailchimp once, but the ledger cannot say so."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from activation.destinations.braze.sandbox import start_braze
from activation.destinations.braze.settings import braze_settings
from activation.destinations.customerio.sandbox import start_customerio
from activation.destinations.customerio.settings import customerio_settings
from activation.destinations.mailchimp.sandbox import start_mailchimp
from activation.destinations.mailchimp.settings import mailchimp_settings
from activation.destinations.webhook.sandbox import start_webhook_receiver
from activation.destinations.webhook.settings import webhook_settings
from activation.errors import ActivationError
from activation.sandbox.framework import SandboxHandle
from activation.sends.runner import AFTER_CALL, run_sends
from activation.settings import DestinationSettings, RetryPolicy
from tests.sends_helpers import METRIC, email, ledger, make_warehouse, profile_row, send_row

KEY = "sends-test-key-2b7d"
CONTACTS = [f"c{i}" for i in range(6)]
BATCH_ROWS = 3
RETRY = RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_max=0.02)

Delivered = Callable[[SandboxHandle], Counter[str]]


@contextmanager
def braze() -> Iterator[tuple[SandboxHandle, DestinationSettings, Delivered]]:
    with start_braze(KEY, campaigns=("cmp-cart",)) as server:
        env = {
            "BRAZE_BASE_URL": server.base_url,
            "BRAZE_API_KEY": KEY,
            "BRAZE_TRANSACTIONAL_CAMPAIGNS": f"{METRIC}=cmp-cart",
        }
        yield (
            server,
            braze_settings(env, retry=RETRY),
            lambda s: Counter(d["external_send_id"] for d in s.app.deliveries),  # type: ignore[attr-defined]
        )


@contextmanager
def customerio() -> Iterator[tuple[SandboxHandle, DestinationSettings, Delivered]]:
    with start_customerio("site", KEY) as server:
        env = {
            "CUSTOMERIO_SITE_ID": "site",
            "CUSTOMERIO_API_KEY": KEY,
            "CUSTOMERIO_TRACK_URL": server.base_url,
        }
        yield (
            server,
            customerio_settings(env, retry=RETRY),
            lambda s: Counter(e["data"]["send_key"] for e in s.app.events),  # type: ignore[attr-defined]
        )


@contextmanager
def webhook() -> Iterator[tuple[SandboxHandle, DestinationSettings, Delivered]]:
    with start_webhook_receiver(KEY) as server:
        env = {"NUDGE_WEBHOOK_URL": f"{server.base_url}/hooks/nudge", "NUDGE_WEBHOOK_SECRET": KEY}
        yield server, webhook_settings(env, retry=RETRY), lambda s: Counter(list(s.app.events))  # type: ignore[attr-defined]


@contextmanager
def mailchimp() -> Iterator[tuple[SandboxHandle, DestinationSettings, Delivered]]:
    with start_mailchimp(KEY, audiences=("aud1",)) as server:
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
        }
        yield (
            server,
            mailchimp_settings(env, retry=RETRY),
            lambda s: Counter(e["properties"]["send_key"] for e in s.app.events),  # type: ignore[attr-defined]
        )


class Crash(Exception):
    pass


def crash_after_first_call(name: str) -> None:
    if name == AFTER_CALL:
        raise Crash("killed after the ESP call, before the ledger write")


@pytest.mark.parametrize(
    ("esp", "idempotent"), [(braze, True), (customerio, True), (webhook, True), (mailchimp, False)]
)
def test_a_crash_after_the_call_then_a_rerun_delivers_no_send_twice(
    tmp_path: Path, esp: Callable[[], Any], idempotent: bool
) -> None:
    sends = [send_row(contact) for contact in CONTACTS]
    warehouse = make_warehouse(tmp_path / "nudge.duckdb", sends, [profile_row(c) for c in CONTACTS])
    with esp() as (server, settings, delivered):
        with pytest.raises(ActivationError, match="killed after the ESP call"):
            run_sends(warehouse, settings, batch_rows=BATCH_ROWS, checkpoint=crash_after_first_call)
        assert {row[0] for row in ledger(warehouse).values()} >= {"pending"}
        first = delivered(server)
        assert 0 < sum(first.values()) < len(sends)  # one call went out, then the crash

        pending = {key for key, row in ledger(warehouse).items() if row[0] == "pending"}
        assert set(first) <= pending

        result = run_sends(warehouse, settings, batch_rows=BATCH_ROWS)

        counts = delivered(server)
        assert set(counts.values()) == {1}  # none twice
        statuses = {key: row[:2] for key, row in ledger(warehouse).items()}
        if idempotent:  # the interrupted sends went again: none lost
            assert result.failed == 0
            assert set(counts) == {row["send_key"] for row in sends}
            assert set(statuses.values()) == {("sent", None)}
        else:  # given up: at most once (those sent before the crash were delivered, once)
            assert result.failed == len(pending)
            given_up = {k for k, s in statuses.items() if s == ("failed", "outcome_unknown")}
            assert given_up == pending
            assert set(counts) == set(first) | (set(statuses) - pending)
            assert {s for k, s in statuses.items() if k not in pending} == {("sent", None)}
        server.clear_requests()
        assert run_sends(warehouse, settings, batch_rows=BATCH_ROWS).write_calls == 0
        assert server.writes() == []
