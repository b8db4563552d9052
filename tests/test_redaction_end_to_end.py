"""A destination whose errors echo the secret, in every form redaction covers, leaves no
form of it behind: a webhook receiver that checks signatures like any other, then rejects
records and whole batches with answers quoting the shared secret URL-encoded (in a query
string), inside a Basic ``Authorization`` header, cut off mid-way, and cut off by the
client's own truncation of error bodies. Triggered sends and a list sync run against it;
the ledger, the sync state, every activation table, the run results and the captured logs
are searched for the secret in each form."""

from __future__ import annotations

import base64
import itertools
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import duckdb
import pytest
from werkzeug.wrappers import Request, Response

from activation.destinations.webhook.sandbox import WebhookReceiverApp
from activation.destinations.webhook.settings import webhook_settings
from activation.sandbox.framework import SandboxHandle, json_response
from activation.sends.runner import run_sends
from activation.settings import REDACTED, DestinationSettings, RetryPolicy
from activation.sync import run_sync
from tests.contract_servers.audience import declaration
from tests.contract_servers.audience import make_warehouse as make_audience_warehouse
from tests.sends_helpers import make_warehouse, profile_row, send_row
from tests.test_destination_webhook import SYNC

# "/", "+" and "=" make every URL-encoded form differ from the secret itself
SECRET = "whsec/Canary+Key=7f3a9c1e5b"
# the client keeps the first 300 characters of an unrecognized error body: this much
# padding puts its cut 12 characters into the URL-encoded secret
CUT_PADDING = 300 - len("{'error': '") - len("?secret=") - 12


def lower_hex(text: str) -> str:
    return text.replace("%2F", "%2f").replace("%2B", "%2b").replace("%3D", "%3d")


def basic_auth(user: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{SECRET}".encode()).decode()


def echoes() -> Iterator[str]:
    """Rejection reasons that repeat the secret, each in another form."""
    return itertools.cycle(
        [
            f"bad key in GET /verify?secret={quote_plus(SECRET)}&v=1",
            f"bad key in GET /verify?secret={lower_hex(quote(SECRET, safe=''))}",
            f"we were sent Authorization: {basic_auth('anystring')}",
            f"key '{SECRET[:12]}…' (truncated) is not ours",
            f"expected {SECRET}",
        ]
    )


class EchoingReceiver(WebhookReceiverApp):
    """Verifies signatures, then answers the first batch by rejecting every record with an
    echo, the second by refusing it (400) with an echo the client truncates mid-secret,
    and every later one with 503 and an echo (unavailable once retries run out)."""

    def __init__(self) -> None:
        super().__init__(SECRET)
        self.reasons = echoes()
        self.answers_in_turn = itertools.chain(
            ["reject records", "refuse batch"], itertools.repeat("down")
        )

    def on_hook(self, request: Request, body: Any, hook: str) -> Response:
        with self.lock:
            answer = next(self.answers_in_turn)
            if answer == "reject records":
                failed = [{"key": r["key"], "reason": next(self.reasons)} for r in body["records"]]
                return json_response(200, {"failed": failed})
        if answer == "refuse batch":
            echo = "x" * CUT_PADDING + "?secret=" + quote_plus(SECRET)
            return json_response(400, {"error": echo})
        return json_response(503, {"error": f"upstream said: {basic_auth('nudge')}"})


@pytest.fixture
def receiver() -> Iterator[SandboxHandle]:
    with SandboxHandle(EchoingReceiver()) as handle:
        yield handle


def settings(receiver: SandboxHandle) -> DestinationSettings:
    env = {"NUDGE_WEBHOOK_URL": f"{receiver.base_url}/hooks/nudge", "NUDGE_WEBHOOK_SECRET": SECRET}
    return webhook_settings(env, retry=RetryPolicy(max_attempts=2, backoff_base=0.01))


def activation_tables(path: Path) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'activation'"
        ).fetchall()
        return repr(
            {t: con.execute(f'select * from activation."{t}"').fetchall() for (t,) in tables}
        )


def secret_forms() -> dict[str, str]:
    """What would identify the secret: the first 8 characters of each form it takes."""
    encoded = {
        "exact": SECRET,
        "quote": quote(SECRET, safe=""),
        "quote keeping /": quote(SECRET),
        "quote_plus": quote_plus(SECRET),
        "lower-case hex": lower_hex(quote(SECRET, safe="")),
    }
    forms = {name: form[: len(form) - len(SECRET) + 8] for name, form in encoded.items()}
    for user in ("anystring", "nudge"):
        token = basic_auth(user).removeprefix("Basic ")
        start = len(base64.b64encode(f"{user}:".encode()).rstrip(b"=")) + 1
        forms[f"base64 after {user}:"] = token[start : start + 12]
    return forms


def assert_no_form_of_the_secret(texts: dict[str, str]) -> None:
    for where, text in texts.items():
        for form_name, form in secret_forms().items():
            assert form not in text, f"{form_name} form of the secret in {where}"


def test_sends_to_an_echoing_receiver_leave_no_form_of_the_secret(
    tmp_path: Path, receiver: SandboxHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    contacts = [f"c{i}" for i in range(6)]
    warehouse = make_warehouse(
        tmp_path / "nudge.duckdb",
        [send_row(c) for c in contacts],
        [profile_row(c) for c in contacts],
    )

    result = run_sends(warehouse, settings(receiver), batch_rows=2)

    # two rejected per record, two refused as a batch, then the receiver was down
    assert (result.failed, result.not_attempted) == (4, 2)
    stored = activation_tables(warehouse)
    assert stored.count(REDACTED) >= 6  # the echoes were there, and were redacted
    assert_no_form_of_the_secret(
        {"activation tables": stored, "run result": repr(result), "logs": caplog.text}
    )


def test_a_sync_to_an_echoing_receiver_leaves_no_form_of_the_secret(
    tmp_path: Path, receiver: SandboxHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    warehouse = make_audience_warehouse(tmp_path / "nudge.duckdb", 30)

    result = run_sync(declaration(SYNC), warehouse, settings(receiver))

    assert result.failed == 30
    stored = activation_tables(warehouse)
    assert stored.count(REDACTED) >= 20
    assert_no_form_of_the_secret(
        {
            "activation tables": stored,
            "run result": repr(result),
            "errors": repr(result.errors),
            "logs": caplog.text,
        }
    )
