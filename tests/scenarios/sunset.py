"""sunset: becoming unengaged (5 emails delivered, no open or click); one step at once;
cancelled by an open or click; without one within 14 days the contact is suppressed with
reason 'sunset' (contact_profiles), which every later send shows."""

from __future__ import annotations

from datetime import datetime

from tests.scenarios.harness import DAY, HOUR, INSTANTS, T0, Event, Expect, Scenario, subscriber

MON_NOON, TUE_NOON, _, _, _, _, _ = INSTANTS
FIFTH_DELIVERY = T0 + 10 * HOUR  # Mon 03-02 10:00
SILENT_SINCE = T0 - 13 * DAY + 10 * HOUR  # Tue 02-17 10:00


def deliveries(contact_id: str, last: datetime) -> list[Event]:
    """Five deliveries, 4 days apart, the last at `last`."""
    return [
        Event(
            "Email Delivered",
            contact_id,
            last - n * 4 * DAY,
            {"email_id": f"{contact_id}_e{n}"},
            channel="email",
        )
        for n in range(4, -1, -1)
    ]


SCENARIOS = [
    Scenario(
        name="sunset_fires",
        description=(
            "The fifth unopened email is delivered Mon 10:00: the sunset email is due at once."
        ),
        rows=[*subscriber("sunset_fires"), *deliveries("sunset_fires", FIFTH_DELIVERY)],
        expectations=[
            Expect(
                MON_NOON,
                "sunset_fires",
                "sunset",
                1,
                "due",
                due_at=FIFTH_DELIVERY,
                series_id="2026-03-02T10:00:00",
                payload={
                    "unengaged_since": "2026-03-02T10:00:00",
                    "last_engaged_at": None,
                    "suppressed_from": "2026-03-16T10:00:00",
                },
            ),
        ],
    ),
    Scenario(
        name="sunset_opened",
        description=(
            "Unengaged Mon 10:00, opens an email Mon 20:00: the sunset series is cancelled."
        ),
        rows=[
            *subscriber("sunset_opened"),
            *deliveries("sunset_opened", FIFTH_DELIVERY),
            Event(
                "Email Opened",
                "sunset_opened",
                T0 + 20 * HOUR,
                {"email_id": "sunset_opened_e0"},
                channel="email",
            ),
        ],
        expectations=[
            Expect(MON_NOON, "sunset_opened", "sunset", 1, "due", due_at=FIFTH_DELIVERY),
            Expect(
                TUE_NOON, "sunset_opened", "sunset", 1, "cancelled", status_reason="email_engaged"
            ),
        ],
    ),
    Scenario(
        name="sunset_suppressed",
        description=(
            "Unengaged since Tue 02-17 10:00 and silent since: 14 days later (Tue 03-03 10:00)"
            " the contact is suppressed with reason 'sunset', which the expired sunset send shows."
        ),
        rows=[*subscriber("sunset_silent"), *deliveries("sunset_silent", SILENT_SINCE)],
        expectations=[
            Expect(MON_NOON, "sunset_silent", "sunset", 1, "expired", due_at=SILENT_SINCE),
            Expect(TUE_NOON, "sunset_silent", "sunset", 1, "suppressed", status_reason="sunset"),
        ],
    ),
]
