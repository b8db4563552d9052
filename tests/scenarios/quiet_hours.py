"""Quiet hours (guardrail 5) with cart abandonment, which does not opt out: a cart left at
20:30 local has its step 1 (+1 h, 21:30 local) deferred to 08:00 local the next morning,
in New York, Paris and Tokyo, before and after each DST change; an unknown time zone
counts as UTC. The UTC instant of 08:00 local moves with DST: New York is UTC-5 until
2026-03-08 and UTC-4 after, Paris UTC+1 until 2026-03-29 and UTC+2 after, Tokyo always
UTC+9."""

from __future__ import annotations

from datetime import datetime

from tests.scenarios.harness import (
    DAY,
    INSTANTS,
    Event,
    Expect,
    Identify,
    Product,
    Scenario,
    subscriber,
)

MON_NOON, TUE_NOON, _, _, _, US_SUMMER_NOON, EU_SUMMER_NOON = INSTANTS


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


def left_cart(name: str, timezone: str, added_at_utc: datetime) -> list[Event | Identify | Product]:
    return [
        *subscriber(name, timezone=timezone),
        Product(f"{name}_p1", "Decaf", 11.0, added_at_utc - 30 * DAY),
        Event(
            "Product Added",
            name,
            added_at_utc,
            {"product_id": f"{name}_p1", "cart_id": f"{name}_k", "price": 11.0},
        ),
    ]


def step(
    at: datetime, name: str, number: int, status: str, due_at: datetime, reason: str | None
) -> Expect:
    return Expect(at, name, "cart_abandonment", number, status, due_at=due_at, status_reason=reason)


SCENARIOS = [
    Scenario(
        name="qh_new_york_winter",
        description="Mon 20:30 EST (01:30 UTC Tue): step 1 waits for 08:00 EST = 13:00 UTC.",
        rows=left_cart("qh_new_york_winter", "America/New_York", utc("2026-03-03 01:30")),
        expectations=[
            step(
                TUE_NOON,
                "qh_new_york_winter",
                1,
                "scheduled",
                utc("2026-03-03 13:00"),
                "quiet_hours",
            ),
            # step 2 at 20:30 EST is before quiet hours: not deferred
            step(TUE_NOON, "qh_new_york_winter", 2, "scheduled", utc("2026-03-04 01:30"), None),
        ],
    ),
    Scenario(
        name="qh_new_york_spring",
        description=(
            "Sat 20:30 EST (01:30 UTC Sun 03-08); the clocks go forward that night, so step 1"
            " waits for 08:00 EDT = 12:00 UTC, and steps 2 and 3 (21:30 EDT) likewise."
        ),
        rows=left_cart("qh_new_york_spring", "America/New_York", utc("2026-03-08 01:30")),
        expectations=[
            step(
                US_SUMMER_NOON,
                "qh_new_york_spring",
                1,
                "expired",
                utc("2026-03-08 12:00"),
                "max_send_lateness",
            ),
            # exactly 24 h late: still sendable
            step(
                US_SUMMER_NOON,
                "qh_new_york_spring",
                2,
                "due",
                utc("2026-03-09 12:00"),
                "quiet_hours",
            ),
            step(
                US_SUMMER_NOON,
                "qh_new_york_spring",
                3,
                "scheduled",
                utc("2026-03-11 12:00"),
                "quiet_hours",
            ),
        ],
    ),
    Scenario(
        name="qh_paris_winter",
        description="Mon 20:30 CET (19:30 UTC): step 1 waits for 08:00 CET = 07:00 UTC Tue.",
        rows=left_cart("qh_paris_winter", "Europe/Paris", utc("2026-03-02 19:30")),
        expectations=[
            step(TUE_NOON, "qh_paris_winter", 1, "due", utc("2026-03-03 07:00"), "quiet_hours"),
        ],
    ),
    Scenario(
        name="qh_paris_spring",
        description=(
            "Sat 03-28 20:30 CET (19:30 UTC); the clocks go forward that night: step 1 waits"
            " for 08:00 CEST = 06:00 UTC, step 2 (21:30 CEST Sun) for 06:00 UTC Mon."
        ),
        rows=left_cart("qh_paris_spring", "Europe/Paris", utc("2026-03-28 19:30")),
        expectations=[
            step(
                EU_SUMMER_NOON,
                "qh_paris_spring",
                1,
                "expired",
                utc("2026-03-29 06:00"),
                "max_send_lateness",
            ),
            step(
                EU_SUMMER_NOON, "qh_paris_spring", 2, "due", utc("2026-03-30 06:00"), "quiet_hours"
            ),
            step(
                EU_SUMMER_NOON,
                "qh_paris_spring",
                3,
                "scheduled",
                utc("2026-04-01 06:00"),
                "quiet_hours",
            ),
        ],
    ),
    Scenario(
        name="qh_tokyo",
        description="Mon 20:30 JST (11:30 UTC): step 1 waits for 08:00 JST Tue = 23:00 UTC Mon.",
        rows=left_cart("qh_tokyo", "Asia/Tokyo", utc("2026-03-02 11:30")),
        expectations=[
            step(MON_NOON, "qh_tokyo", 1, "scheduled", utc("2026-03-02 23:00"), "quiet_hours"),
            step(TUE_NOON, "qh_tokyo", 1, "due", utc("2026-03-02 23:00"), "quiet_hours"),
        ],
    ),
    Scenario(
        name="qh_unknown_zone",
        description="A time zone no engine knows counts as UTC: 21:30 UTC waits for 08:00 UTC.",
        rows=left_cart("qh_unknown_zone", "Mars/Olympus_Mons", utc("2026-03-02 20:30")),
        expectations=[
            step(TUE_NOON, "qh_unknown_zone", 1, "due", utc("2026-03-03 08:00"), "quiet_hours"),
            # 20:30 UTC + 24 h is before 21:00: not deferred
            step(TUE_NOON, "qh_unknown_zone", 2, "scheduled", utc("2026-03-03 20:30"), None),
        ],
    ),
]
