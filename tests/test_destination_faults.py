"""Every non-Klaviyo destination under random 429s and 5xx (a fifth of the requests and a
tenth): a few runs of the same declared sync (with removals and a change in between)
converge on the warehouse audience, and a last run without faults writes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from activation.destinations.registry import destination_settings
from activation.sandbox.framework import SandboxHandle
from activation.settings import DestinationSettings, RetryPolicy
from activation.sync import run_sync
from tests import test_destination_braze as braze
from tests import test_destination_customerio as customerio
from tests import test_destination_mailchimp as mailchimp
from tests import test_destination_webhook as webhook
from tests.contract_servers.audience import declaration, delete, make_warehouse, update

RETRY = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_max=0.05)


@dataclass
class Esp:
    name: str
    start: Callable[[], Any]
    env: Callable[[SandboxHandle], dict[str, str]]
    sync: dict[str, Any]
    mirrored: Callable[[SandboxHandle, Path], None]


ESPS = [
    Esp(
        "braze",
        lambda: braze.start_braze(braze.API_KEY),
        lambda s: {"BRAZE_BASE_URL": s.base_url, "BRAZE_API_KEY": braze.API_KEY},
        braze.SYNC,
        braze.assert_mirrored,
    ),
    Esp(
        "mailchimp",
        lambda: mailchimp.start_mailchimp(mailchimp.API_KEY, audiences=(mailchimp.AUDIENCE_ID,)),
        lambda s: {
            "MAILCHIMP_API_KEY": mailchimp.API_KEY,
            "MAILCHIMP_BASE_URL": f"{s.base_url}/3.0",
        },
        mailchimp.SYNC,
        mailchimp.assert_mirrored,
    ),
    Esp(
        "customerio",
        customerio.start,
        lambda s: {
            "CUSTOMERIO_SITE_ID": customerio.SITE_ID,
            "CUSTOMERIO_API_KEY": customerio.API_KEY,
            "CUSTOMERIO_TRACK_URL": s.base_url,
        },
        customerio.SYNC,
        customerio.assert_mirrored,
    ),
    Esp(
        "webhook",
        lambda: webhook.start_webhook_receiver(webhook.SECRET),
        lambda s: {
            "NUDGE_WEBHOOK_URL": f"{s.base_url}/hooks/nudge",
            "NUDGE_WEBHOOK_SECRET": webhook.SECRET,
        },
        webhook.SYNC,
        lambda s, w: None,  # checked below from the receiver's lists
    ),
]


@contextmanager
def running(esp: Esp) -> Iterator[tuple[SandboxHandle, DestinationSettings]]:
    with esp.start() as server:
        yield server, destination_settings(esp.name, esp.env(server), retry=RETRY)


@pytest.mark.parametrize("esp", ESPS, ids=[esp.name for esp in ESPS])
def test_random_429s_and_5xx_still_converge_on_the_audience(tmp_path: Path, esp: Esp) -> None:
    warehouse = make_warehouse(tmp_path / "nudge.duckdb", 40)
    sync = declaration({**esp.sync, "batch_size": 2})  # more calls, more chances to fail
    with running(esp) as (server, settings):
        server.app.faults.seed(2)  # a sequence that hits both faults early
        server.inject_fault(429, share=0.2, times=None)
        server.inject_fault(500, share=0.1, times=None)
        results = [run_sync(sync, warehouse, settings)]
        delete(warehouse, "c-001", "c-022")
        update(warehouse, "c-030", first_name="Thirty")
        for _ in range(4):  # rows whose retries ran out are sent again by the next run
            results.append(run_sync(sync, warehouse, settings))
            if not results[-1].failed:
                break
        server.clear_faults()

        assert results[-1].failed == 0
        assert sum(r.rate_limited for r in results) == len(
            [e for e in server.requests() if e["status"] == 429]
        )
        statuses = [e["status"] for e in server.requests()]
        assert 500 in statuses, statuses
        esp.mirrored(server, warehouse)
        if esp.name == "webhook":
            members = server.app.lists[sync.config.list_name]  # type: ignore[attr-defined]
            assert members == webhook.keys(warehouse)
        server.clear_requests()
        assert run_sync(sync, warehouse, settings).write_calls == 0
