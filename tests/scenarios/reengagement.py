"""reengagement: the latest web/app activity of a contact who never ordered; one step 30
days later; any later activity cancels it (and starts a new series). A customer gets none."""

from __future__ import annotations

from datetime import datetime

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

MON_NOON, TUE_NOON, WED_NOON, THU_NOON, _, _, _ = INSTANTS


def page_view(contact_id: str, at: datetime) -> Event:
    return Event("Page Viewed", contact_id, at, {"path": "/sale", "page_type": "sale"})


LAST_SEEN = T0 - 28 * DAY + 10 * HOUR  # Mon 02-02 10:00: due Wed 03-04 10:00
EARLIER = T0 - 29 * DAY + 10 * HOUR  # Sun 02-01 10:00: due Tue 03-03 10:00

SCENARIOS = [
    Scenario(
        name="reengagement_fires",
        description=(
            "A prospect last seen on Mon 02-02 10:00: the re-engagement email is due 30 days later."
        ),
        rows=[*subscriber("re_fires"), page_view("re_fires", LAST_SEEN)],
        expectations=[
            Expect(
                TUE_NOON,
                "re_fires",
                "reengagement",
                1,
                "scheduled",
                due_at=LAST_SEEN + 30 * DAY,
                series_id="2026-02-02T10:00:00",
            ),
            Expect(
                WED_NOON,
                "re_fires",
                "reengagement",
                1,
                "due",
                due_at=LAST_SEEN + 30 * DAY,
                series_id="2026-02-02T10:00:00",
                payload={
                    "last_active_at": "2026-02-02T10:00:00",
                    "last_channel": "web",
                    "sessions": 2,
                },
            ),
            Expect(
                THU_NOON, "re_fires", "reengagement", 1, "expired", series_id="2026-02-02T10:00:00"
            ),
        ],
    ),
    Scenario(
        name="reengagement_active_again",
        description=(
            "A prospect last seen Sun 02-01 10:00 (due Tue 10:00) comes back Mon 03-02 20:00:"
            " cancelled, a new series starts."
        ),
        rows=[
            *subscriber("re_active"),
            page_view("re_active", EARLIER),
            page_view("re_active", T0 + 20 * HOUR),
        ],
        expectations=[
            Expect(
                MON_NOON,
                "re_active",
                "reengagement",
                1,
                "scheduled",
                due_at=EARLIER + 30 * DAY,
                series_id="2026-02-01T10:00:00",
            ),
            Expect(
                TUE_NOON,
                "re_active",
                "reengagement",
                1,
                "cancelled",
                series_id="2026-02-01T10:00:00",
                status_reason="activity",
            ),
            Expect(
                TUE_NOON,
                "re_active",
                "reengagement",
                1,
                "scheduled",
                series_id="2026-03-02T20:00:00",
                due_at=T0 + 30 * DAY + 20 * HOUR,
            ),
        ],
    ),
    Scenario(
        name="reengagement_customer",
        description=(
            "A contact who ordered (in store) gets no re-engagement, however long ago they "
            "were seen."
        ),
        rows=[
            *subscriber("re_customer"),
            page_view("re_customer", EARLIER),
            Event(
                "Order Completed",
                "re_customer",
                EARLIER + HOUR,
                {"order_id": "re_o1", "total": 10.0},
                channel="store",
            ),
        ],
        expectations=[NoSends(TUE_NOON, "re_customer", "reengagement")],
    ),
]
