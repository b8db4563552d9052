"""cross_sell: every order with products often bought together with its own; one step
14 days later; cancelled by the contact's next order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.scenarios.harness import (
    DAY,
    HOUR,
    INSTANTS,
    T0,
    Event,
    Expect,
    Product,
    Scenario,
    subscriber,
)

MON_NOON, TUE_NOON, WED_NOON, _, _, _, _ = INSTANTS
ORDERED_AT = T0 - 13 * DAY + 10 * HOUR  # Tue 02-17 10:00: step 1 due Tue 03-03 10:00

PRESS = Product("xs_press", "French Press", 30.0, T0 - 90 * DAY, category="xs_brew")
FILTERS = Product(
    "xs_filters",
    "Paper Filters",
    4.5,
    T0 - 90 * DAY,
    category="xs_brew",
    image_url="https://img.example.com/xs_filters.jpg",
    url="https://shop.example.com/p/xs_filters",
)
SCALE = Product("xs_scale", "Scale", 25.0, T0 - 90 * DAY, category="xs_brew")


def order(contact_id: str, order_id: str, at: datetime, products: list[Product]) -> Event:
    lines: list[dict[str, Any]] = [
        {"product_id": p.product_id, "name": p.name, "price": p.price, "quantity": 1}
        for p in products
    ]
    total = round(sum(p.price for p in products), 2)
    return Event(
        "Order Completed", contact_id, at, {"order_id": order_id, "total": total, "products": lines}
    )


# other shoppers: the press was bought with filters twice and with the scale once
SHOPPERS = [
    order("xs_shopper_1", "xs_o_s1", T0 - 40 * DAY, [PRESS, FILTERS]),
    order("xs_shopper_2", "xs_o_s2", T0 - 39 * DAY, [PRESS, FILTERS]),
    order("xs_shopper_3", "xs_o_s3", T0 - 38 * DAY, [PRESS, SCALE]),
]

SCENARIOS = [
    Scenario(
        name="cross_sell_fires",
        description=(
            "A press bought on Tue 02-17 10:00: 14 days later, the products most often bought"
            " with it (filters twice, the scale once)."
        ),
        rows=[
            PRESS,
            FILTERS,
            SCALE,
            *SHOPPERS,
            *subscriber("xs_fires_b"),
            order("xs_fires_b", "xs_o1", ORDERED_AT, [PRESS]),
        ],
        expectations=[
            Expect(
                MON_NOON,
                "xs_fires_b",
                "cross_sell",
                1,
                "scheduled",
                due_at=ORDERED_AT + 14 * DAY,
                series_id="xs_o1",
            ),
            Expect(
                TUE_NOON,
                "xs_fires_b",
                "cross_sell",
                1,
                "due",
                due_at=ORDERED_AT + 14 * DAY,
                series_id="xs_o1",
                payload={
                    "order_id": "xs_o1",
                    "bought_product_ids": ["xs_press"],
                    "recommended_products": [
                        {
                            "product_id": "xs_filters",
                            "name": "Paper Filters",
                            "price": 4.5,
                            "image_url": "https://img.example.com/xs_filters.jpg",
                            "url": "https://shop.example.com/p/xs_filters",
                            "bought_together": 2,
                        },
                        {
                            "product_id": "xs_scale",
                            "name": "Scale",
                            "price": 25.0,
                            "image_url": None,
                            "url": None,
                            "bought_together": 1,
                        },
                    ],
                },
            ),
            Expect(WED_NOON, "xs_fires_b", "cross_sell", 1, "expired", series_id="xs_o1"),
        ],
    ),
    Scenario(
        name="cross_sell_next_order",
        description=(
            "A press bought on Tue 02-17, then another order on Tue 03-03 08:00, before the "
            "step: cancelled."
        ),
        rows=[
            *subscriber("xs_reorder_a"),
            order("xs_reorder_a", "xs_o2", ORDERED_AT, [PRESS]),
            order("xs_reorder_a", "xs_o3", T0 + DAY + 8 * HOUR, [SCALE]),
        ],
        expectations=[
            Expect(MON_NOON, "xs_reorder_a", "cross_sell", 1, "scheduled", series_id="xs_o2"),
            Expect(
                TUE_NOON,
                "xs_reorder_a",
                "cross_sell",
                1,
                "cancelled",
                series_id="xs_o2",
                status_reason="order_completed",
            ),
            Expect(
                TUE_NOON,
                "xs_reorder_a",
                "cross_sell",
                1,
                "scheduled",
                series_id="xs_o3",
                due_at=T0 + 15 * DAY + 8 * HOUR,
            ),
        ],
    ),
]
