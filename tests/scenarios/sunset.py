"""sunset: becoming unengaged (5 emails delivered, no open or click); one step at once;
cancelled by an open or click; without one within 14 days the contact is suppressed with
reason 'sunset' (contact_profiles), which every later send shows. Never before the contact
has been subscribed for 90 days (var unengaged_min_tenure_days): a subscriber who joined
weeks ago and ignored 5 emails is not sunset."""

from __future__ import annotations

from datetime import datetime

from tests.scenarios.guardrails import left_cart
from tests.scenarios.harness import (
    DAY,
    HOUR,
    INSTANTS,
    T0,
    Event,
    Expect,
    NoSends,
    Scenario,
    subscriber,
)

MON_NOON, TUE_NOON, _, _, _, _, MON_03_30 = INSTANTS
FIFTH_DELIVERY = T0 + 10 * HOUR  # Mon 03-02 10:00
SILENT_SINCE = T0 - 13 * DAY + 10 * HOUR  # Tue 02-17 10:00
LONG_AGO = T0 - 200 * DAY  # subscribed for longer than the 90-day tenure
TENURE = 90 * DAY


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
        rows=[
            *subscriber("sunset_fires", subscribed_at=LONG_AGO),
            *deliveries("sunset_fires", FIFTH_DELIVERY),
        ],
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
            *subscriber("sunset_opened", subscribed_at=LONG_AGO),
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
        rows=[
            *subscriber("sunset_silent", subscribed_at=LONG_AGO),
            *deliveries("sunset_silent", SILENT_SINCE),
        ],
        expectations=[
            Expect(MON_NOON, "sunset_silent", "sunset", 1, "expired", due_at=SILENT_SINCE),
            Expect(TUE_NOON, "sunset_silent", "sunset", 1, "suppressed", status_reason="sunset"),
        ],
    ),
    Scenario(
        name="sunset_needs_tenure",
        description=(
            "Subscribed 30 days before the fifth unopened email (Mon 10:00): not unengaged,"
            " no sunset email, and four weeks later still not suppressed (a cart reminder is"
            " due)."
        ),
        rows=[
            *subscriber("sunset_new", subscribed_at=FIFTH_DELIVERY - 30 * DAY),
            *deliveries("sunset_new", FIFTH_DELIVERY),
            *left_cart("sunset_new", T0 + 28 * DAY + 10 * HOUR),
        ],
        expectations=[
            NoSends(MON_NOON, "sunset_new", "sunset"),
            NoSends(MON_03_30, "sunset_new", "sunset"),
            Expect(MON_03_30, "sunset_new", "cart_abandonment", 1, "due"),
        ],
    ),
    Scenario(
        name="sunset_at_tenure",
        description=(
            "Ignored 5 emails by Mon 10:00 but subscribed 90 days only on Tue 10:00: the"
            " sunset series is anchored then, not at the fifth delivery."
        ),
        rows=[
            *subscriber("sunset_floor", subscribed_at=T0 + DAY + 10 * HOUR - TENURE),
            *deliveries("sunset_floor", FIFTH_DELIVERY),
        ],
        expectations=[
            NoSends(MON_NOON, "sunset_floor", "sunset"),
            Expect(
                TUE_NOON,
                "sunset_floor",
                "sunset",
                1,
                "due",
                due_at=T0 + DAY + 10 * HOUR,
                series_id="2026-03-03T10:00:00",
            ),
        ],
    ),
]
