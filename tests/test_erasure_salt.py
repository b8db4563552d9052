"""Tombstones are salted hashes: checked with another salt they match nobody, and every
erased person could be emailed again. The salt is the warehouse's own (stored on the first
erasure) unless NUDGE_ERASURE_SALT sets it, so a salt set after some erasures, or set for
`nudge erase` but not where sends run, would void them silently. Instead, every run that
reads the tombstones refuses (nothing sent) until the salt they were made with is back."""

from __future__ import annotations

from pathlib import Path

import pytest

from activation.errors import ConfigurationError
from activation.sends import run_sends
from activation.tombstones import SALT_ENV, add_tombstones
from activation.warehouse import Warehouse
from tests.sends_helpers import (
    AS_OF,
    FakeClock,
    RecordingDestination,
    email,
    make_warehouse,
    profile_row,
    send_row,
    settings,
)

KLAVIYO = settings("http://127.0.0.1:9")  # never called: the RecordingDestination is


def erased_warehouse(tmp_path: Path) -> Path:
    """c-1 erased (with whatever salt the environment says now), a send due for them."""
    wh = make_warehouse(tmp_path / "w.duckdb", [send_row("c-1")], [profile_row("c-1")])
    with Warehouse(wh) as warehouse:
        add_tombstones(warehouse, email=email("c-1"), contact_ids=["c-1"], erased_at=AS_OF)
    return wh


def send(wh: Path, esp: RecordingDestination) -> None:
    run_sends(wh, KLAVIYO, destination=esp, clock=esp.clock)


def use_salt(monkeypatch: pytest.MonkeyPatch, salt: str | None) -> None:
    """NUDGE_ERASURE_SALT set to ``salt`` (None: unset, the warehouse's own salt)."""
    monkeypatch.delenv(SALT_ENV, raising=False)
    if salt is not None:
        monkeypatch.setenv(SALT_ENV, salt)


@pytest.mark.parametrize(
    ("at_erasure", "at_send"),
    [(None, "set-after-the-erasures-3b9c"), ("set-for-erase-only-7d1e", None)],
)
def test_a_salt_other_than_the_erasures_own_refuses_to_send(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at_erasure: str | None, at_send: str | None
) -> None:
    use_salt(monkeypatch, at_erasure)
    wh = erased_warehouse(tmp_path)
    use_salt(monkeypatch, at_send)
    esp = RecordingDestination(FakeClock(AS_OF))

    with pytest.raises(ConfigurationError, match=SALT_ENV):
        send(wh, esp)

    assert esp.deliveries == []


@pytest.mark.parametrize("salt", [None, "kept-everywhere-5c2a"])
def test_the_salt_the_erasures_were_made_with_keeps_holding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, salt: str | None
) -> None:
    use_salt(monkeypatch, salt)
    wh = erased_warehouse(tmp_path)
    esp = RecordingDestination(FakeClock(AS_OF))

    send(wh, esp)

    assert esp.deliveries == []
