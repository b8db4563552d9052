"""`nudge sync triggered_sends` / `--trigger` / `--dry-run` on a hand-made warehouse and
the Klaviyo sandbox: the plan calls no API, the real run sends once, errors name the fix."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from rich.progress import Progress, TaskID

from activation.destinations.klaviyo.sandbox import SandboxHandle
from nudge.sends_command import read_back_label
from tests.sends_helpers import (
    API_KEY,
    cli_sandbox,
    events_by_unique_id,
    make_warehouse,
    nudge,
    profile_row,
    send_row,
    sql,
)
from tests.test_destination_capabilities import flip

CONTACTS = ["c-00", "c-01", "c-02"]


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxHandle]:
    with cli_sandbox(monkeypatch) as handle:
        yield handle


def test_dry_run_then_send_then_nothing_left(warehouse: Path, sandbox: SandboxHandle) -> None:
    profiles = [profile_row(c) for c in CONTACTS]
    profiles[2] = profile_row("c-02", has_consent=False)
    make_warehouse(warehouse, [send_row(c) for c in CONTACTS], profiles)

    code, out = nudge("sync", "triggered_sends", "--dry-run", "--warehouse", str(warehouse))
    assert code == 0, out
    assert "Planned triggered sends (dry run: no API called)" in out
    assert "would send" in out and "no_consent" in out and "c-01" in out
    assert sandbox.requests() == []
    assert sql(warehouse, "select count(*) from activation.send_ledger") == [(0,)]

    code, out = nudge("sync", "triggered_sends", "--warehouse", str(warehouse))
    assert code == 0, out
    assert "Triggered sends" in out and "ledger: sent" in out
    assert set(events_by_unique_id(sandbox)) == {send_row(c)["send_key"] for c in CONTACTS[:2]}
    assert API_KEY not in out

    code, out = nudge("sync", "--trigger", "cart_abandonment", "--warehouse", str(warehouse))
    assert code == 0, out
    assert "Triggered sends (cart_abandonment)" in out
    assert sum(events_by_unique_id(sandbox).values()) == 2


def test_sends_need_a_built_triggered_sends(warehouse: Path, sandbox: SandboxHandle) -> None:
    warehouse.parent.mkdir(parents=True)
    sql(warehouse, "create table t (x integer)")
    code, out = nudge("sync", "triggered_sends", "--warehouse", str(warehouse))
    assert code == 2
    assert "no triggers.triggered_sends yet" in out and "nudge build" in out
    code, out = nudge("sync", "klaviyo_subscribers", "--trigger", "welcome")
    assert code == 2 and "--trigger selects sends" in out


@pytest.mark.parametrize(
    ("destination", "label"),
    [
        ("klaviyo", "Reading suppressions and preferences back from klaviyo"),
        ("braze", "Reading suppressions and preferences back from braze"),
        ("mailchimp", "Reading suppressions back from mailchimp"),
        ("customerio", "Reading preferences back from customerio"),
        ("webhook", "Nothing to read back from webhook"),
    ],
)
def test_the_read_back_label_names_only_what_the_destination_is_asked(
    destination: str, label: str
) -> None:
    assert read_back_label(destination) == label


class RecordedProgress(Progress):
    """The progress display, keeping the description each task started with."""

    started: ClassVar[list[str]] = []  # set afresh by each test

    def add_task(self, description: str, *args: Any, **kwargs: Any) -> TaskID:
        self.started.append(description)
        return super().add_task(description, *args, **kwargs)


@pytest.mark.parametrize(
    ("suppressions", "preferences", "label"),
    [
        (True, True, "Reading suppressions and preferences back from klaviyo"),
        (False, True, "Reading preferences back from klaviyo"),
        (False, False, "Nothing to read back from klaviyo"),
    ],
)
def test_nudge_sync_shows_what_it_reads_back(
    warehouse: Path,
    sandbox: SandboxHandle,
    monkeypatch: pytest.MonkeyPatch,
    suppressions: bool,
    preferences: bool,
    label: str,
) -> None:
    flip(monkeypatch, "klaviyo", "suppressions", suppressions, no_suppressions="land them")
    flip(monkeypatch, "klaviyo", "preferences", preferences, no_preferences="send them")
    monkeypatch.setattr(RecordedProgress, "started", [])
    monkeypatch.setattr("nudge.sends_command.Progress", RecordedProgress)
    make_warehouse(warehouse, [send_row(c) for c in CONTACTS], [profile_row(c) for c in CONTACTS])

    code, out = nudge("sync", "triggered_sends", "--warehouse", str(warehouse))

    assert code == 0, out
    assert RecordedProgress.started == [label]
    assert ("No suppressions read back from klaviyo: land them" in out) != suppressions
    assert ("No preference changes read back from klaviyo: send them" in out) != preferences
