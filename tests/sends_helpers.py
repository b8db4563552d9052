"""Shared by tests/test_sends_*.py: a small warehouse holding the tables the send runner
reads (``triggers.triggered_sends`` with the interface's columns, a minimal
``contacts.contact_profiles``, ``raw.events``), and Klaviyo settings for a sandbox."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from rich.console import Console
from typer.testing import CliRunner

from activation.sandbox.klaviyo import EngagementConfig, SandboxHandle, start_sandbox
from activation.settings import DestinationSettings, RetryPolicy, klaviyo_settings
from nudge.cli import app
from nudge.raw_contract import create_table_sql

API_KEY = "pk_sends_test_key_7c1e"
AS_OF = datetime(2026, 11, 30, 12, 0)
METRIC = "Nudge Cart Abandonment"

SENDS_COLUMNS = {
    "send_key": "varchar",
    "contact_id": "varchar",
    "trigger_key": "varchar",
    "series_id": "varchar",
    "step": "integer",
    "anchor_at": "timestamp",
    "scheduled_at": "timestamp",
    "due_at": "timestamp",
    "status": "varchar",
    "status_reason": "varchar",
    "variant": "varchar",
    "priority": "integer",
    "esp_metric": "varchar",
    "payload": "varchar",
    "as_of": "timestamp",
}
PROFILE_COLUMNS = {
    "contact_id": "varchar",
    "email": "varchar",
    "has_consent": "boolean",
    "is_suppressed": "boolean",
    "suppression_reason": "varchar",
}


def settings(base_url: str, **retry: Any) -> DestinationSettings:
    policy = RetryPolicy(**{"max_attempts": 3, "backoff_base": 0.01, "backoff_max": 0.05, **retry})
    return klaviyo_settings(
        {"KLAVIYO_API_KEY": API_KEY, "KLAVIYO_BASE_URL": base_url}, retry=policy
    )


def email(contact_id: str) -> str:
    return f"{contact_id}@example.com"


def send_row(
    contact_id: str,
    *,
    trigger_key: str = "cart_abandonment",
    series: str = "s1",
    step: int = 1,
    status: str = "due",
    metric: str | None = METRIC,
    payload: str | None = None,
) -> dict[str, Any]:
    due = AS_OF - timedelta(minutes=30)
    return {
        "send_key": f"sk-{trigger_key}-{contact_id}-{series}-{step}",
        "contact_id": contact_id,
        "trigger_key": trigger_key,
        "series_id": series,
        "step": step,
        "anchor_at": due - timedelta(hours=1),
        "scheduled_at": due,
        "due_at": due,
        "status": status,
        "status_reason": None,
        "variant": "A",
        "priority": 1,
        "esp_metric": metric,
        "payload": payload
        if payload is not None
        else json.dumps(
            {"cart_id": f"cart-{contact_id}", "items": [{"name": "Mug", "price": 12.5}]}
        ),
        "as_of": AS_OF,
    }


def profile_row(contact_id: str, **changes: Any) -> dict[str, Any]:
    row = {
        "contact_id": contact_id,
        "email": email(contact_id),
        "has_consent": True,
        "is_suppressed": False,
        "suppression_reason": None,
    }
    row.update(changes)
    return row


def make_warehouse(path: Path, sends: list[dict[str, Any]], profiles: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        for schema in ("triggers", "contacts", "raw"):
            con.execute(f"create schema if not exists {schema}")
        con.execute(_ddl("triggers.triggered_sends", SENDS_COLUMNS))
        con.execute(_ddl("contacts.contact_profiles", PROFILE_COLUMNS))
        con.execute(create_table_sql("events"))
    add_sends(path, sends)
    add_profiles(path, profiles)
    return path


def _ddl(table: str, columns: dict[str, str]) -> str:
    return f"create table {table} ({', '.join(f'{n} {t}' for n, t in columns.items())})"


def _insert(path: Path, table: str, columns: dict[str, str], rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    names = list(columns)
    placeholders = ", ".join("?" for _ in names)
    with duckdb.connect(str(path)) as con:
        con.executemany(
            f"insert into {table} ({', '.join(names)}) values ({placeholders})",
            [[row[name] for name in names] for row in rows],
        )


def add_sends(path: Path, rows: list[dict[str, Any]]) -> None:
    _insert(path, "triggers.triggered_sends", SENDS_COLUMNS, rows)


def add_profiles(path: Path, rows: list[dict[str, Any]]) -> None:
    _insert(path, "contacts.contact_profiles", PROFILE_COLUMNS, rows)


def sql(path: Path, statement: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path)) as con:
        return con.execute(statement, params or []).fetchall()


def ledger(path: Path) -> dict[str, tuple[Any, ...]]:
    """send_key -> (status, status_reason, attempts, last_error, sent_at); {} before the
    first run creates the ledger."""
    exists = sql(
        path,
        "select count(*) from information_schema.tables"
        " where table_schema = 'activation' and table_name = 'send_ledger'",
    )
    if not exists[0][0]:
        return {}
    rows = sql(
        path,
        "select send_key, status, status_reason, attempts, last_error, sent_at"
        " from activation.send_ledger",
    )
    return {row[0]: row[1:] for row in rows}


def events_by_unique_id(sandbox: SandboxHandle) -> Counter[str]:
    return Counter(event["unique_id"] for event in sandbox.events() if event["unique_id"])


def invalid_requests(sandbox: SandboxHandle) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests() if r["validation"] != "passed"]


@contextmanager
def cli_sandbox(
    monkeypatch: pytest.MonkeyPatch, engagement: EngagementConfig | None = None
) -> Iterator[SandboxHandle]:
    """A Klaviyo sandbox the `nudge` CLI reaches through its environment variables."""
    with start_sandbox(API_KEY, engagement=engagement) as handle:
        monkeypatch.setenv("KLAVIYO_BASE_URL", handle.base_url)
        monkeypatch.setenv("KLAVIYO_API_KEY", API_KEY)
        monkeypatch.delenv("NUDGE_SENDS_DESTINATION", raising=False)
        monkeypatch.setattr("nudge.cli.console", Console(width=200))
        yield handle


def nudge(*args: str) -> tuple[int, str]:
    """Run the `nudge` CLI in-process: (exit code, output)."""
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output
