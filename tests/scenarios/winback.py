"""winback: every order anchors a series (series_id = order_id); steps at 30, 60 (incentive)
and 90 days; any later order cancels it."""

from __future__ import annotations

from datetime import datetime

from tests.scenarios.harness import (
    DAY,
    HOUR,
    INSTANTS,
    MINUTE,
    T0,
    Event,
    Expect,
    LedgerRow,
    Product,
    Scenario,
    subscriber,
)

MON_NOON, TUE_NOON, _, _, _, _, EU_SUMMER_NOON = INSTANTS


def order(contact: str, order_id: str, at: datetime, product_id: str) -> Event:
    return Event(
        "Order Completed",
        contact,
        at,
        {
            "order_id": order_id,
            "total": 30.0,
            "products": [
                {"product_id": product_id, "name": "Grinder", "price": 30.0, "quantity": 1}
            ],
        },
    )


def grinder(product_id: str) -> Product:
    return Product(
        product_id,
        "Grinder",
        30.0,
        T0 - 200 * DAY,
        category="equipment",
        image_url=f"https://shop.example/img/{product_id}.jpg",
        url=f"https://shop.example/p/{product_id}",
    )


def last_order_scenario(name: str, days: int, due_step: int) -> Scenario:
    """A single order `days` days before T0 + 10 h: as of Monday noon step `due_step` is due."""
    ordered_at = T0 - days * DAY + 10 * HOUR
    expectations = [
        Expect(
            MON_NOON,
            name,
            "winback",
            step,
            status,
            due_at=ordered_at + 30 * step * DAY,
            series_id=f"{name}_o1",
        )
        for step, status in (
            (1, "due" if due_step == 1 else "expired"),
            (2, {1: "scheduled", 2: "due", 3: "expired"}[due_step]),
            (3, "due" if due_step == 3 else "scheduled"),
        )
    ]
    expectations.append(
        Expect(
            MON_NOON,
            name,
            "winback",
            due_step,
            "due",
            payload_keys=("last_order_id", "last_ordered_at", "items", "incentive"),
            payload={
                "last_order_id": f"{name}_o1",
                "last_order_total": 30.0,
                "incentive": due_step == 2,
                "items": [
                    {
                        "product_id": f"{name}_p1",
                        "name": "Grinder",
                        "image_url": f"https://shop.example/img/{name}_p1.jpg",
                        "url": f"https://shop.example/p/{name}_p1",
                    }
                ],
            },
        )
    )
    return Scenario(
        name=name,
        description=f"The last order was {days} days ago: step {due_step} is due.",
        rows=[
            *subscriber(name),
            grinder(f"{name}_p1"),
            order(name, f"{name}_o1", ordered_at, f"{name}_p1"),
        ],
        expectations=expectations,
    )


RETURNED_ORDER_AT = T0 - 30 * DAY + 10 * HOUR
REORDER_AT = T0 + DAY

SCENARIOS = [
    last_order_scenario("winback_30", 30, 1),
    last_order_scenario("winback_60", 60, 2),
    last_order_scenario("winback_90", 90, 3),
    Scenario(
        name="winback_returns",
        description=(
            "Step 1 is sent (ledger), then the contact orders again: the first series' other"
            " steps are cancelled and the new order starts a series of its own."
        ),
        rows=[
            *subscriber("winback_returner"),
            grinder("winback_returns_p1"),
            order(
                "winback_returner", "winback_returns_o1", RETURNED_ORDER_AT, "winback_returns_p1"
            ),
            order("winback_returner", "winback_returns_o2", REORDER_AT, "winback_returns_p1"),
        ],
        ledger=[
            LedgerRow(
                "winback_returner",
                "winback",
                "winback_returns_o1",
                1,
                "sent",
                created_at=T0 + 10 * HOUR + MINUTE,
                sent_at=T0 + 10 * HOUR + 2 * MINUTE,
            ),
        ],
        expectations=[
            Expect(
                MON_NOON, "winback_returner", "winback", 1, "sent", series_id="winback_returns_o1"
            ),
            Expect(
                MON_NOON,
                "winback_returner",
                "winback",
                2,
                "scheduled",
                series_id="winback_returns_o1",
            ),
            Expect(
                TUE_NOON, "winback_returner", "winback", 1, "sent", series_id="winback_returns_o1"
            ),
            Expect(
                TUE_NOON,
                "winback_returner",
                "winback",
                2,
                "cancelled",
                series_id="winback_returns_o1",
                status_reason="order_completed",
            ),
            Expect(
                TUE_NOON,
                "winback_returner",
                "winback",
                1,
                "scheduled",
                series_id="winback_returns_o2",
                # ordered at midnight UTC: step 1 is deferred out of quiet hours to 08:00
                due_at=REORDER_AT + 30 * DAY + 8 * HOUR,
            ),
            Expect(
                EU_SUMMER_NOON,
                "winback_returner",
                "winback",
                1,
                "scheduled",
                series_id="winback_returns_o2",
            ),
        ],
    ),
]
