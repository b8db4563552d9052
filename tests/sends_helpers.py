"""Shared by tests/test_sends_*.py: a small warehouse holding the tables the send runner
reads (``triggers.triggered_sends`` with the interface's columns, a minimal
``contacts.contact_profiles``, ``triggers.send_policy``, ``raw.events``, and the build stamp
of a live build just now), and Klaviyo settings for a sandbox.

The sends are due half an hour before ``AS_OF``, a minute before the tests started, so the
send-time gate judges them on time whatever the wall clock says; the default policy has no
quiet hours and loose caps, so tests of the ledger's mechanics are not capped or deferred
(tests of the gate set their own ``policy`` and ``clock``)."""

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

from activation.build_stamps import record_build_stamp
from activation.destinations.klaviyo.sandbox import EngagementConfig, SandboxHandle, start_sandbox
from activation.destinations.klaviyo.settings import klaviyo_settings
from activation.errors import ActivationError
from activation.sends.events import SendRow
from activation.sends.runner import AFTER_CALL
from activation.settings import DestinationSettings, RetryPolicy
from activation.state import utcnow
from activation.warehouse import Warehouse
from nudge.cli import app
from nudge.raw_contract import create_table_sql

API_KEY = "pk_sends_test_key_7c1e"
AS_OF = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=1)
METRIC = "Nudge Cart Abandonment"
# triggers.send_policy as the tests' builds would have it: no quiet hours, loose caps
LOOSE_POLICY = {
    "max_send_lateness_hours": 24,
    "quiet_hours_start": 0,
    "quiet_hours_end": 0,
    "max_sends_per_day": 100,
    "max_sends_per_week": 100,
}

# send_policy.email_frequency_windows as the project's build writes it
FREQUENCY_WINDOWS = "weekly=7,monthly=30"

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
    "timezone": "varchar",
    "quiet_hours_opt_out": "boolean",
    "as_of": "timestamp",
    "send_after": "timestamp",
    "send_time_arm": "varchar",
    "topic": "varchar",
}
PROFILE_COLUMNS = {
    "contact_id": "varchar",
    "email": "varchar",
    "has_consent": "boolean",
    "is_suppressed": "boolean",
    "suppression_reason": "varchar",
    "consent_changed_at": "timestamp",
    "frequency_window_days": "integer",
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
    due: datetime | None = None,
    priority: int = 1,
    timezone: str = "UTC",
    send_after: datetime | None = None,
    topic: str = "reminders",
) -> dict[str, Any]:
    due = due or AS_OF - timedelta(minutes=30)
    return {
        "send_key": f"sk-{trigger_key}-{contact_id}-{series}-{step}",
        "contact_id": contact_id,
        "trigger_key": trigger_key,
        "series_id": series,
        "step": step,
        "anchor_at": due - timedelta(hours=1),
        "scheduled_at": due,
        "due_at": due,
        "send_after": send_after or due,
        "send_time_arm": None,
        "topic": topic,
        "status": status,
        "status_reason": None,
        "variant": "A",
        "priority": priority,
        "esp_metric": metric,
        "payload": payload
        if payload is not None
        else json.dumps(
            {"cart_id": f"cart-{contact_id}", "items": [{"name": "Mug", "price": 12.5}]}
        ),
        "timezone": timezone,
        "quiet_hours_opt_out": False,
        "as_of": AS_OF,
    }


def candidate(contact_id: str) -> SendRow:
    """send_row(contact_id) as the runner reads it, before the ledger has it."""
    row = send_row(contact_id)
    return SendRow(
        send_key=row["send_key"],
        contact_id=contact_id,
        trigger_key=row["trigger_key"],
        step=row["step"],
        series_id=row["series_id"],
        variant=row["variant"],
        ledger_status=None,
        esp_metric=row["esp_metric"],
        payload="{}",
        due_at=row["due_at"],
        send_after=row["send_after"],
        topic=row["topic"],
        timezone=row["timezone"],
        priority=row["priority"],
        quiet_hours_opt_out=row["quiet_hours_opt_out"],
        ledger_attempts=None,
        ledger_created_at=None,
        ledger_deferred_until=None,
        ledger_expires_at=None,
        ledger_first_attempt_at=None,
        email=email(contact_id),
        address_key=email(contact_id),
        consent_since=None,
        suppressed_because=None,
        frequency_window_days=None,
        sent_24h=0,
        sent_7d=0,
        last_sent_at=None,
    )


def profile_row(contact_id: str, **changes: Any) -> dict[str, Any]:
    row = {
        "contact_id": contact_id,
        "email": email(contact_id),
        "has_consent": True,
        "is_suppressed": False,
        "suppression_reason": None,
        "consent_changed_at": AS_OF - timedelta(days=30),
        "frequency_window_days": None,
    }
    row.update(changes)
    return row


def make_warehouse(
    path: Path,
    sends: list[dict[str, Any]],
    profiles: list[dict[str, Any]],
    *,
    policy: dict[str, int] | None = None,
    as_of: datetime = AS_OF,
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        for schema in ("triggers", "contacts", "raw"):
            con.execute(f"create schema if not exists {schema}")
        con.execute(_ddl("triggers.triggered_sends", SENDS_COLUMNS))
        con.execute(_ddl("contacts.contact_profiles", PROFILE_COLUMNS))
        con.execute(create_table_sql("events"))
    add_sends(path, sends)
    add_profiles(path, profiles)
    set_policy(path, policy or LOOSE_POLICY, as_of)
    return path


def set_policy(path: Path, policy: dict[str, int], as_of: datetime = AS_OF) -> None:
    """triggers.send_policy and the build stamp of triggered_sends, as a live build as of
    ``as_of`` would leave them."""
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create or replace table triggers.send_policy as select ?::timestamp as as_of,"
            + ", ".join(f"{int(value)}::integer as {name}" for name, value in policy.items())
            + ", ? as email_frequency_windows",
            [as_of, FREQUENCY_WINDOWS],
        )
    with Warehouse(path) as warehouse:
        record_build_stamp(warehouse, "triggers.triggered_sends", as_of, built_at=as_of)


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


class FakeClock:
    """A clock the send runner reads (``run_sends(clock=...)``); tests move it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class RecordingDestination:
    """An in-process destination for the send runner: records each event it accepts (once
    per unique_id, like Klaviyo) with the clock's instant, fails while ``down`` (as an
    unavailable ESP), and may take ``call_time`` of the clock per call (a slow ESP). It
    declares ``deduplication_window`` (None: for good, like Klaviyo) but records once per
    unique_id for good whatever it declares."""

    name = "recording"
    idempotent_events = True
    rate_limits: tuple[Any, ...] = ()

    def __init__(
        self,
        clock: FakeClock,
        call_time: timedelta = timedelta(0),
        deduplication_window: timedelta | None = None,
    ) -> None:
        from activation.destinations.base import BatchLimits

        self.clock = clock
        self.call_time = call_time
        self.deduplication_window = deduplication_window
        self.down = False
        self.limits = BatchLimits(
            upsert_rows=1, upsert_bytes=1, record_bytes=1, membership_rows=1, event_rows=1
        )
        self.delivered: dict[str, tuple[datetime, Any]] = {}  # unique_id -> (when, record)
        self.deliveries: list[str] = []  # every accepted unique_id, repeats included
        self.calls = 0

    def track_events(self, records: Any) -> Any:
        from activation.destinations.base import BatchOutcome

        self.calls += 1
        outcome = BatchOutcome()
        if self.down:
            outcome.unavailable = "HTTP 503 after retries"
            return outcome
        for record in records:
            self.deliveries.append(record.unique_id)
            self.delivered.setdefault(record.unique_id, (self.clock(), record))
            outcome.succeeded.append(record.record_key)
        self.clock.advance(self.call_time)
        return outcome

    def close(self) -> None:
        pass


class NotDeDuplicatingDestination(RecordingDestination):
    """A RecordingDestination that, like Mailchimp (or Braze without transactional
    campaigns), cannot de-duplicate events."""

    idempotent_events = False


def crash_after_the_call(name: str) -> None:
    """A send runner checkpoint killing the run after the ESP call, before the ledger write."""
    if name == AFTER_CALL:
        raise ActivationError("killed after the ESP call, before the ledger write")
