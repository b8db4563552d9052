"""content_followup: a content download; one step a day later with other content on the
same topic; once per content (downloading it again starts nothing)."""

from __future__ import annotations

from datetime import datetime

from tests.scenarios.harness import (
    DAY,
    HOUR,
    INSTANTS,
    T0,
    Count,
    Event,
    Expect,
    Scenario,
    subscriber,
)

MON_NOON, TUE_NOON, _, THU_NOON, _, _, _ = INSTANTS
DOWNLOADED_AT = T0 + 10 * HOUR  # Mon 03-02 10:00


def download(contact_id: str, content_id: str, title: str, at: datetime) -> Event:
    return Event(
        "Content Downloaded",
        contact_id,
        at,
        {"content_id": content_id, "title": title, "topic": "cf_brewing"},
    )


SCENARIOS = [
    Scenario(
        name="content_followup_once_per_content",
        description=(
            "A brewing guide downloaded Mon 10:00 (another reader downloaded the cold-brew"
            " guide before): the follow-up with the cold-brew guide is due Tue 10:00. The same"
            " guide downloaded again Wed starts nothing."
        ),
        rows=[
            *subscriber("cf_reader"),
            download("cf_other_reader", "cf_coldbrew", "Cold Brew at Home", T0 - 10 * DAY),
            download("cf_reader", "cf_guide", "Brewing Guide", DOWNLOADED_AT),
            download("cf_reader", "cf_guide", "Brewing Guide", DOWNLOADED_AT + 2 * DAY),
        ],
        expectations=[
            Expect(
                MON_NOON,
                "cf_reader",
                "content_followup",
                1,
                "scheduled",
                due_at=DOWNLOADED_AT + DAY,
                series_id="cf_guide",
            ),
            Expect(
                TUE_NOON,
                "cf_reader",
                "content_followup",
                1,
                "due",
                due_at=DOWNLOADED_AT + DAY,
                payload={
                    "content": {
                        "content_id": "cf_guide",
                        "title": "Brewing Guide",
                        "topic": "cf_brewing",
                        "url": None,
                    },
                    "downloaded_at": "2026-03-02T10:00:00",
                    "related_content": [
                        {"content_id": "cf_coldbrew", "title": "Cold Brew at Home", "url": None}
                    ],
                },
            ),
            Count(THU_NOON, "cf_reader", "expired", 1, "content_followup"),
            Count(THU_NOON, "cf_reader", "scheduled", 0, "content_followup"),
            Count(THU_NOON, "cf_reader", "due", 0, "content_followup"),
        ],
    ),
]
