"""post_purchase_review: every completed order; one step 7 days later; cancelled once
every product of the order has been reviewed."""

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
ORDERED_AT = T0 - 6 * DAY + 10 * HOUR  # Tue 02-24 10:00: step 1 due Tue 03-03 10:00


def order(contact_id: str, order_id: str, at: datetime, products: list[Product]) -> Event:
    lines: list[dict[str, Any]] = [
        {"product_id": p.product_id, "name": p.name, "price": p.price, "quantity": 1}
        for p in products
    ]
    total = round(sum(p.price for p in products), 2)
    return Event(
        "Order Completed", contact_id, at, {"order_id": order_id, "total": total, "products": lines}
    )


def review(contact_id: str, product: Product, review_id: str, at: datetime) -> Event:
    return Event(
        "Product Reviewed",
        contact_id,
        at,
        {"product_id": product.product_id, "review_id": review_id, "rating": 5},
    )


KETTLE = Product(
    "ppr_kettle",
    "Kettle",
    39.5,
    T0 - 90 * DAY,
    category="ppr_kitchen",
    image_url="https://img.example.com/ppr_kettle.jpg",
    url="https://shop.example.com/p/ppr_kettle",
)
BEANS = Product("ppr_beans", "Beans", 12.0, T0 - 90 * DAY, category="ppr_kitchen")
CUP = Product("ppr_cup", "Cup", 8.0, T0 - 90 * DAY, category="ppr_kitchen")

SCENARIOS = [
    Scenario(
        name="post_purchase_review_fires",
        description=(
            "An order on Tue 02-24 10:00: the review request is due 7 days later, then expires."
        ),
        rows=[
            KETTLE,
            *subscriber("ppr_fires"),
            order("ppr_fires", "ppr_o1", ORDERED_AT, [KETTLE]),
        ],
        expectations=[
            Expect(
                MON_NOON,
                "ppr_fires",
                "post_purchase_review",
                1,
                "scheduled",
                due_at=ORDERED_AT + 7 * DAY,
                series_id="ppr_o1",
            ),
            Expect(
                TUE_NOON,
                "ppr_fires",
                "post_purchase_review",
                1,
                "due",
                due_at=ORDERED_AT + 7 * DAY,
                status_reason=None,
                payload={
                    "order_id": "ppr_o1",
                    "ordered_at": "2026-02-24T10:00:00",
                    "channel": "web",
                    "order_total": 39.5,
                    "products": [
                        {
                            "product_id": "ppr_kettle",
                            "name": "Kettle",
                            "price": 39.5,
                            "quantity": 1,
                            "image_url": "https://img.example.com/ppr_kettle.jpg",
                            "url": "https://shop.example.com/p/ppr_kettle",
                        }
                    ],
                },
            ),
            Expect(
                WED_NOON,
                "ppr_fires",
                "post_purchase_review",
                1,
                "expired",
                due_at=ORDERED_AT + 7 * DAY,
            ),
        ],
    ),
    Scenario(
        name="post_purchase_review_all_reviewed",
        description=(
            "An order of two products on Tue 02-24; one reviewed on Fri 02-27, the other on"
            " Tue 03-03 09:00, an hour before the request is due: cancelled."
        ),
        rows=[
            BEANS,
            CUP,
            *subscriber("ppr_reviewed"),
            order("ppr_reviewed", "ppr_o2", ORDERED_AT, [BEANS, CUP]),
            review("ppr_reviewed", BEANS, "ppr_r1", T0 - 3 * DAY + 10 * HOUR),
            review("ppr_reviewed", CUP, "ppr_r2", T0 + DAY + 9 * HOUR),
        ],
        expectations=[
            Expect(
                MON_NOON,
                "ppr_reviewed",
                "post_purchase_review",
                1,
                "scheduled",
                due_at=ORDERED_AT + 7 * DAY,
            ),
            Expect(
                TUE_NOON,
                "ppr_reviewed",
                "post_purchase_review",
                1,
                "cancelled",
                status_reason="all_products_reviewed",
            ),
        ],
    ),
]
