"""A suppression read-back cut short by an error moves no cursor: the ESP does not return
suppressions in time order, so a page after the failure may hold one older than every
suppression already landed. The next read starts where the last complete one ended, and
lands it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from activation.destinations.base import SuppressionRecord
from activation.errors import ActivationError
from activation.sends import read_back_suppressions
from tests.sends_helpers import email, make_warehouse, profile_row, settings, sql

CONTACTS = ["c-00", "c-01", "c-02"]
LATE = datetime(2026, 12, 1, 9, 0)
EARLY = LATE - timedelta(days=2)  # on the second page, although older


def suppression(contact: str, at: datetime) -> SuppressionRecord:
    return SuppressionRecord(f"esp-{contact}", email(contact), contact, "unsubscribed", at)


class PagedESP:
    """Pages of suppressions, in the ESP's own (not time) order; fails before page
    ``fail_before`` when set. Remembers each read's ``since``."""

    def __init__(self, pages: list[list[SuppressionRecord]]) -> None:
        self.pages = pages
        self.fail_before: int | None = None
        self.since: list[datetime | None] = []

    def read_suppressions(self, since: datetime | None) -> Iterator[SuppressionRecord]:
        self.since.append(since)
        for number, page in enumerate(self.pages):
            if number == self.fail_before:
                raise ActivationError("klaviyo GET /api/profiles: HTTP 503 after 5 tries")
            yield from (r for r in page if since is None or r.suppressed_at >= since)

    def close(self) -> None:
        return None


def landed(warehouse: Path) -> set[str]:
    rows = sql(warehouse, "select user_id from raw.events where event = 'Unsubscribed'")
    return {str(row[0]) for row in rows}


def test_a_read_cut_short_is_read_again_from_the_last_complete_one(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("activation.sends.readback.CHUNK", 1)  # each page lands on its own
    wh = make_warehouse(warehouse, [], [profile_row(c) for c in CONTACTS])
    klaviyo = settings("http://127.0.0.1:9")
    esp = PagedESP([[suppression("c-00", LATE)], [suppression("c-01", EARLY)]])
    esp.fail_before = 1
    with pytest.raises(ActivationError, match="suppression read-back failed"):
        read_back_suppressions(wh, klaviyo, destination=esp)  # type: ignore[arg-type]
    assert landed(wh) == {"c-00"}

    esp.fail_before = None
    complete = read_back_suppressions(wh, klaviyo, destination=esp)  # type: ignore[arg-type]
    assert esp.since[-1] is None  # no read had completed: from the beginning
    assert landed(wh) == {"c-00", "c-01"}
    assert complete.pulled == 2

    esp.pages.append([suppression("c-02", LATE + timedelta(minutes=5))])
    read_back_suppressions(wh, klaviyo, destination=esp)  # type: ignore[arg-type]
    assert esp.since[-1] == LATE - timedelta(hours=1)  # the complete read's latest, minus 1 h
    assert landed(wh) == {"c-00", "c-01", "c-02"}
