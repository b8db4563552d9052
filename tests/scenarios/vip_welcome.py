"""vip_welcome: entering rfm_champions (segment_transitions); one step at 0 h; re-entry once
per 180 days. The series is anchored at the order that made the contact a champion, not at
the build that noticed the entry: on the first build every current champion "enters", and
the staleness guardrail expires the welcome of those whose order is old."""

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

MON_NOON, TUE_NOON, WED_NOON, THU_NOON, _, TUE_10_NOON, _ = INSTANTS
NEW_ORDER_AT = T0 + 2 * DAY + 9 * HOUR  # Wed 09:00


def order(contact_id: str, n: int, at: datetime) -> Event:
    """An order of a product of its own (no product is bought twice: no replenishment)."""
    product_id = f"{contact_id}_item_{n}"
    return Event(
        "Order Completed",
        contact_id,
        at,
        {
            "order_id": f"{contact_id}_{n}",
            "total": 80.0,
            "products": [
                {"product_id": product_id, "name": "Candle", "category": "candles", "price": 80.0}
            ],
        },
    )


def old_orders(contact_id: str) -> list[Event]:
    """Six orders 600 to 550 days before T0: frequent, but the least recent of any customer."""
    return [order(contact_id, n, T0 - (600 - 10 * n) * DAY) for n in range(6)]


def key(contact_id: str, at: datetime) -> str:
    return f"rfm_champions|{contact_id}|entered|{at:%Y-%m-%dT%H:%M:%S}"


SCENARIOS = [
    Scenario(
        name="vip_welcome_fires",
        description=(
            "A frequent buyer from long ago orders again on Wed 09:00 and becomes a champion:"
            " the Wednesday build records the entry, the welcome is due from the order."
        ),
        rows=[
            *subscriber("vip_welcome_new", timezone="UTC", first_name="Vera"),
            *old_orders("vip_welcome_new"),
            order("vip_welcome_new", 6, NEW_ORDER_AT),
        ],
        expectations=[
            NoSends(TUE_NOON, "vip_welcome_new", "vip_welcome"),
            Expect(
                WED_NOON,
                "vip_welcome_new",
                "vip_welcome",
                1,
                "due",
                due_at=NEW_ORDER_AT,
                series_id=key("vip_welcome_new", WED_NOON),
                status_reason=None,
                payload={
                    "first_name": "Vera",
                    "segment": "rfm_champions",
                    "entered_at": "2026-03-04T12:00:00",
                    "orders_count": 7,
                },
            ),
            Expect(THU_NOON, "vip_welcome_new", "vip_welcome", 1, "expired"),
        ],
    ),
    Scenario(
        name="vip_welcome_not_new",
        description=(
            "A champion since before the first build (last order two days before it) enters"
            " on that build like everyone: anchored at the order, the welcome is expired, not"
            " sent. A frequent buyer from long ago who does not come back never enters."
        ),
        rows=[
            *subscriber("vip_welcome_standing", timezone="UTC"),
            *[
                order("vip_welcome_standing", n, T0 - (52 - 10 * n) * DAY + 10 * HOUR)
                for n in range(6)
            ],
            *subscriber("vip_welcome_lapsed", timezone="UTC"),
            *old_orders("vip_welcome_lapsed"),
        ],
        expectations=[
            Expect(
                MON_NOON,
                "vip_welcome_standing",
                "vip_welcome",
                1,
                "expired",
                due_at=T0 - 2 * DAY + 10 * HOUR,
                series_id=key("vip_welcome_standing", MON_NOON),
            ),
            NoSends(TUE_10_NOON, "vip_welcome_lapsed", "vip_welcome"),
        ],
    ),
]
