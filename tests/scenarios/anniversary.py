"""anniversary: the local date of the contact's first order each year, from the first
anniversary on, at 09:00 in their own time zone (DST-correct); one step at 0 h;
series_id = the year."""

from __future__ import annotations

from datetime import datetime

from tests.scenarios.harness import (
    INSTANTS,
    Count,
    Event,
    Expect,
    NoSends,
    Scenario,
    subscriber,
)

MON_NOON, TUE_NOON, WED_NOON, THU_NOON, SAT_NOON, TUE_10_NOON, MON_30_NOON = INSTANTS


def order(contact_id: str, order_id: str, at: datetime) -> Event:
    return Event(
        "Order Completed",
        contact_id,
        at,
        {
            "order_id": order_id,
            "total": 30.0,
            "products": [
                {
                    "product_id": "anniversary_tea",
                    "name": "Tea",
                    "category": "tea",
                    "price": 30.0,
                    "quantity": 1,
                }
            ],
        },
    )


# Los Angeles: first order at 20:00 PST on Mar 3 2025 (04:00 UTC on Mar 4): the anniversary
# is Mar 3, 09:00 PST = 17:00 UTC.
LA_ANNIVERSARY = datetime(2026, 3, 3, 17, 0)
# Sydney: first order at 13:00 AEDT on Mar 10 2025: Mar 10, 09:00 AEDT = 22:00 UTC on Mar 9.
SYDNEY_ANNIVERSARY = datetime(2026, 3, 9, 22, 0)

SCENARIOS = [
    Scenario(
        name="anniversary_two_zones",
        description=(
            "First orders a year ago in Los Angeles (local date a day before the UTC one) and"
            " Sydney (anniversary morning is the previous evening in UTC): due at 09:00 local"
            " on the local date; a later order does not move it."
        ),
        rows=[
            *subscriber("anniversary_la", timezone="America/Los_Angeles", first_name="Lou"),
            order("anniversary_la", "anniversary_la_1", datetime(2025, 3, 4, 4, 0)),
            order("anniversary_la", "anniversary_la_2", datetime(2025, 9, 1, 18, 0)),
            *subscriber("anniversary_sydney", timezone="Australia/Sydney", first_name="Syd"),
            order("anniversary_sydney", "anniversary_sydney_1", datetime(2025, 3, 10, 2, 0)),
        ],
        expectations=[
            Expect(
                TUE_NOON,
                "anniversary_la",
                "anniversary",
                1,
                "scheduled",
                due_at=LA_ANNIVERSARY,
                series_id="2026",
            ),
            Expect(
                WED_NOON,
                "anniversary_la",
                "anniversary",
                1,
                "due",
                due_at=LA_ANNIVERSARY,
                series_id="2026",
                status_reason=None,
                payload={
                    "first_name": "Lou",
                    "first_order_date": "2025-03-03",
                    "anniversary_date": "2026-03-03",
                    "years": 1,
                    "orders_count": 2,
                },
            ),
            Expect(THU_NOON, "anniversary_la", "anniversary", 1, "expired", series_id="2026"),
            Expect(
                SAT_NOON,
                "anniversary_sydney",
                "anniversary",
                1,
                "scheduled",
                due_at=SYDNEY_ANNIVERSARY,
                series_id="2026",
            ),
            Expect(
                TUE_10_NOON,
                "anniversary_sydney",
                "anniversary",
                1,
                "due",
                due_at=SYDNEY_ANNIVERSARY,
                series_id="2026",
                payload={"anniversary_date": "2026-03-10", "years": 1},
            ),
        ],
    ),
    Scenario(
        name="anniversary_not_yet",
        description=(
            "A first order in November 2025 has its first anniversary in November 2026 (only"
            " scheduled); a subscriber who never ordered has none."
        ),
        rows=[
            *subscriber("anniversary_recent", timezone="UTC"),
            order("anniversary_recent", "anniversary_recent_1", datetime(2025, 11, 20, 15, 0)),
            *subscriber("anniversary_never", timezone="UTC"),
        ],
        expectations=[
            Expect(
                MON_30_NOON,
                "anniversary_recent",
                "anniversary",
                1,
                "scheduled",
                due_at=datetime(2026, 11, 20, 9, 0),
                series_id="2026",
            ),
            Count(WED_NOON, "anniversary_recent", "due", 0, trigger_key="anniversary"),
            NoSends(MON_30_NOON, "anniversary_never", "anniversary"),
        ],
    ),
]
