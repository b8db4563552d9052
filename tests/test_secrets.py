"""API keys come from the environment and never appear in logs, output or errors: a sync with
a recognizable key against the sandbox, with failing calls of every kind (429, 5xx, dropped
and hung connections, a rejected row, a wrong key, an unreachable host), through the
library and the CLI; then every log record, everything printed, every exception text and
traceback, the warehouse's activation tables and the sandbox's request log are searched for
the key."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from activation.errors import ActivationError
from activation.sandbox.klaviyo import SandboxHandle, start_sandbox
from activation.settings import RetryPolicy, klaviyo_settings
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
