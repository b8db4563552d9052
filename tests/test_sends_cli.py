"""`nudge sync triggered_sends` / `--trigger` / `--dry-run` on a hand-made warehouse and
the Klaviyo sandbox: the plan calls no API, the real run sends once, errors name the fix."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from activation.destinations.klaviyo.sandbox import SandboxHandle
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
