"""API keys come from the environment and never appear in logs, output or errors: a sync with
a recognizable key against the sandbox, with failing calls of every kind (429, 5xx, dropped
and hung connections, a rejected row, a wrong key, an unreachable host), through the
library and the CLI; then every log record, everything printed, every exception text and
traceback, the warehouse's activation tables and the sandbox's request log are searched for
the key."""

from __future__ import annotations

import base64
import logging
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import duckdb
import pytest
from typer.testing import CliRunner

from activation.destinations.klaviyo.sandbox import SandboxHandle, start_sandbox
from activation.destinations.klaviyo.settings import klaviyo_settings
from activation.errors import ActivationError
from activation.settings import REDACTED, RetryPolicy, Secret, redact
from activation.sync import run_sync
from nudge.cli import app, console
from tests.test_erase import make_warehouse
from tests.test_sync_under_faults import TABLE, declaration

KEY = "pk_live_CANARY_3f9a1c7e5d"
WRONG_KEY = "pk_live_WRONG_CANARY_b4e2"
KEYS = (KEY, WRONG_KEY)


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    handle = start_sandbox(KEY)
    yield handle
    handle.stop()


def evidence_of(path: Path, sandbox: SandboxHandle) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'activation'"
        ).fetchall()
        rows = {t: con.execute(f'select * from activation."{t}"').fetchall() for (t,) in tables}
    return [repr(rows), repr(sandbox.requests()), repr(sandbox.state())]


def assert_no_key(texts: list[str]) -> None:
    for text in texts:
        for key in KEYS:
            assert key not in text
            assert key[8:] not in text  # not even the tail of it


def test_no_key_in_logs_output_errors_or_tables(
    tmp_path: Path,
    sandbox: SandboxHandle,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)  # urllib3's connection logs included
    path = make_warehouse(tmp_path / "nudge.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute(f"update {TABLE} set email = 'broken' where contact_id = 'c-0000004'")
    texts: list[str] = []

    # the library, with every kind of failing call
    settings = klaviyo_settings(
        {"KLAVIYO_BASE_URL": sandbox.base_url, "KLAVIYO_API_KEY": KEY},
        read_timeout=0.5,
        retry=RetryPolicy(max_attempts=8, backoff_base=0.01, backoff_max=0.05),
        job_poll_interval=0.05,
    )
    sandbox.inject_fault(429, retry_after=0, times=2)
    sandbox.inject_fault(503, times=2)
    sandbox.inject_fault(None, drop=True, times=2)
    sandbox.inject_fault(None, delay=1.0, times=1)
    result = run_sync(declaration(10), path, settings)
    assert result.failed == 1 and result.rate_limited == 2
    assert result.timeouts == 1 and result.connection_errors == 2 and result.server_errors == 2
    texts += [repr(result), str(result.errors), repr(settings), str(settings.api_key)]

    # the CLI: a sync under faults, a wrong key, an unreachable host, an erasure
    def nudge(args: list[str], env: dict[str, str]) -> Any:
        console.width = 200
        outcome = CliRunner().invoke(app, [*args, "--warehouse", str(path)], env=env)
        texts.append(outcome.output)
        if outcome.exception is not None and not isinstance(outcome.exception, SystemExit):
            texts.append("".join(traceback.format_exception(outcome.exception)))
        return outcome

    env = {"KLAVIYO_BASE_URL": sandbox.base_url, "KLAVIYO_API_KEY": KEY}
    sandbox.inject_fault(503, times=1)
    sandbox.inject_fault(None, drop=True, times=1)
    with duckdb.connect(str(path)) as con:
        con.execute(f"update {TABLE} set first_name = 'Again'")
    assert nudge(["sync"], env).exit_code == 1  # the broken row fails again: partial
    refused = nudge(["sync"], {**env, "KLAVIYO_API_KEY": WRONG_KEY})
    assert refused.exit_code == 2 and "HTTP 401" in refused.output
    unreachable = nudge(["sync"], {**env, "KLAVIYO_BASE_URL": "http://127.0.0.1:9"})
    assert unreachable.exit_code == 2 and "ConnectionError" in unreachable.output
    assert nudge(["erase", "--email", "subscriber.1@example.com"], env).exit_code == 0
    wrong_erase = nudge(
        ["erase", "--email", "subscriber.2@example.com"], {**env, "KLAVIYO_API_KEY": WRONG_KEY}
    )
    assert wrong_erase.exit_code == 1

    # exceptions raised to a caller, with their whole chain
    wrong = klaviyo_settings({**env, "KLAVIYO_API_KEY": WRONG_KEY})
    with pytest.raises(ActivationError) as raised:
        run_sync(declaration(10), path, wrong)
    texts += [
        str(raised.value),
        repr(raised.value),
        "".join(traceback.format_exception(raised.value)),
    ]

    captured = capsys.readouterr()
    texts += [caplog.text, captured.out, captured.err, *evidence_of(path, sandbox)]
    texts += [record.getMessage() for record in caplog.records]
    assert "retry" in caplog.text and "broken" in caplog.text  # the logs did say things
    assert_no_key(texts)


# a key with characters URL encoding changes ("/", "+", "=")
ODD_KEY = "pk_live/Qx7+ZkeyWq=93fa0c1e"


def basic_auth(user: str, key: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{key}".encode()).decode()


@pytest.mark.parametrize(
    "form",
    [
        ODD_KEY,
        quote(ODD_KEY, safe=""),
        quote(ODD_KEY),
        quote_plus(ODD_KEY),
        quote(ODD_KEY, safe="").replace("%2F", "%2f").replace("%2B", "%2b").replace("%3D", "%3d"),
    ],
    ids=["exact", "quote", "quote-keeping-slash", "quote_plus", "lower-case-hex"],
)
def test_every_url_form_of_a_key_is_redacted(form: str) -> None:
    text = f"GET https://api.example.com/v1/lists?api_key={form}&page=2 -> HTTP 401"
    redacted = redact(text, [Secret(ODD_KEY)])
    assert redacted == f"GET https://api.example.com/v1/lists?api_key={REDACTED}&page=2 -> HTTP 401"


def test_the_url_forms_differ_from_the_key() -> None:
    # else the parametrized test above would prove nothing more than the exact match
    assert len({ODD_KEY, quote(ODD_KEY, safe=""), quote(ODD_KEY)}) == 3
    assert quote_plus(ODD_KEY + " x") != quote(ODD_KEY + " x", safe="")
    assert redact(f"k={quote_plus(ODD_KEY + ' x')}", [ODD_KEY + " x"]) == f"k={REDACTED}"


@pytest.mark.parametrize("user", ["anystring", "nudge", "x", "site-42"])
def test_a_key_in_a_basic_auth_header_is_redacted_whatever_the_user(user: str) -> None:
    header = basic_auth(user, ODD_KEY)
    redacted = redact(f"request headers: Authorization: {header}", [Secret(ODD_KEY)])
    assert REDACTED in redacted
    token = redacted.rsplit(" ", 1)[-1]
    # what is left of the base64 token decodes to no part of the key worth having
    assert len(token.replace(REDACTED, "")) <= len(base64.b64encode(f"{user}:".encode())) + 3


def test_a_key_cut_off_after_its_first_characters_is_redacted() -> None:
    for length in (8, 12, len(ODD_KEY) - 1):
        shown = ODD_KEY[:length]
        text = f"invalid key '{shown}…' (truncated)"
        assert redact(text, [Secret(ODD_KEY)]) == f"invalid key '{REDACTED}…' (truncated)"
    truncated_url = quote_plus(ODD_KEY)[:14]  # a URL-encoded key cut off mid-way
    assert redact(f"url: ?key={truncated_url}", [ODD_KEY]) == f"url: ?key={REDACTED}"


def test_short_slices_of_a_key_are_left_alone() -> None:
    key = "pk_live_the8c1f9e04d2"
    text = "the live stream: pk_live ended; the key is fine"
    # "the" is a 3-character slice of the key, "pk_live" its first 7 characters: neither
    # identifies it
    assert redact(text, [Secret(key)]) == text


def test_keys_shorter_than_four_characters_are_not_redacted() -> None:
    assert redact("a b c abc", [Secret("abc")]) == "a b c abc"
    assert redact("key=abcd", [Secret("abcd")]) == f"key={REDACTED}"
