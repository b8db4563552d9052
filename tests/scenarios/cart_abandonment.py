"""cart_abandonment: an open cart, anchored at its last cart activity; steps at 1 h, 24 h and
72 h (step 3 carries the incentive); cancelled by an order after the activity, by emptying
the cart, or by more cart activity (which starts the next series)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.scenarios.harness import (
    DAY,
    HOUR,
    INSTANTS,
    MINUTE,
    T0,
    Count,
    Event,
    Expect,
    LedgerRow,
    Product,
    Scenario,
    subscriber,
)

MON_NOON, TUE_NOON, WED_NOON, THU_NOON, _, _, _ = INSTANTS
ADDED_AT = T0 + 10 * HOUR
PAYLOAD_KEYS = ("cart_id", "cart_items", "cart_value", "items", "incentive")


def product(product_id: str, name: str = "Ethiopia Beans", price: float = 14.5) -> Product:
    return Product(
        product_id,
        name,
        price,
        T0 - 90 * DAY,
        image_url=f"https://shop.example/img/{product_id}.jpg",
        url=f"https://shop.example/p/{product_id}",
    )


def cart_event(
    name: str, contact: str, product_id: str, at: datetime, cart_id: str, quantity: int = 1
) -> Event:
    properties: dict[str, Any] = {
        "product_id": product_id,
        "cart_id": cart_id,
        "quantity": quantity,
    }
    if name == "Product Added":
        properties |= {"name": "Ethiopia Beans", "price": 14.5}
    return Event(name, contact, at, properties)


def item(
    product_id: str, quantity: int, name: str = "Ethiopia Beans", price: float = 14.5
) -> dict[str, Any]:
    return {
        "product_id": product_id,
        "name": name,
        "price": price,
        "quantity": quantity,
        "image_url": f"https://shop.example/img/{product_id}.jpg",
        "url": f"https://shop.example/p/{product_id}",
    }


def series_id(cart_id: str, at: datetime) -> str:
    return f"{cart_id}@{at:%Y-%m-%dT%H:%M:%S}"


SCENARIOS = [
    Scenario(
        name="cart_fires",
        description="Two bags left in the cart: steps at +1 h, +24 h and +72 h (incentive).",
        rows=[
            *subscriber("cart_carl"),
            product("cart_fires_p1"),
            cart_event("Product Added", "cart_carl", "cart_fires_p1", ADDED_AT, "cart_fires_k", 2),
        ],
        expectations=[
            Expect(
                MON_NOON,
                "cart_carl",
                "cart_abandonment",
                1,
                "due",
                due_at=ADDED_AT + HOUR,
                series_id=series_id("cart_fires_k", ADDED_AT),
                payload_keys=PAYLOAD_KEYS,
                payload={
                    "cart_id": "cart_fires_k",
                    "cart_items": 1,
                    "cart_quantity": 2,
                    "cart_value": 29.0,
                    "items": [item("cart_fires_p1", 2)],
                    "incentive": False,
                },
            ),
            Expect(
                MON_NOON, "cart_carl", "cart_abandonment", 2, "scheduled", due_at=ADDED_AT + DAY
            ),
            Expect(
                MON_NOON,
                "cart_carl",
                "cart_abandonment",
                3,
                "scheduled",
                due_at=ADDED_AT + 3 * DAY,
                payload={"incentive": True},
            ),
            Expect(TUE_NOON, "cart_carl", "cart_abandonment", 1, "expired"),
            Expect(TUE_NOON, "cart_carl", "cart_abandonment", 2, "due"),
            Expect(
                THU_NOON, "cart_carl", "cart_abandonment", 3, "due", payload={"incentive": True}
            ),
        ],
    ),
    Scenario(
        name="cart_ordered",
        description=(
            "Step 1 is sent (ledger), then the contact orders what was in the cart: steps 2"
            " and 3 are cancelled."
        ),
        rows=[
            *subscriber("cart_ordered"),
            product("cart_ordered_p1"),
            cart_event(
                "Product Added", "cart_ordered", "cart_ordered_p1", ADDED_AT, "cart_ordered_k"
            ),
            Event(
                "Order Completed",
                "cart_ordered",
                T0 + 20 * HOUR,
                {
                    "order_id": "cart_ordered_o1",
                    "total": 14.5,
                    "products": [{"product_id": "cart_ordered_p1", "price": 14.5, "quantity": 1}],
                },
            ),
        ],
        ledger=[
            LedgerRow(
                "cart_ordered",
                "cart_abandonment",
                series_id("cart_ordered_k", ADDED_AT),
                1,
                "sent",
                created_at=ADDED_AT + HOUR + 5 * MINUTE,
                sent_at=ADDED_AT + HOUR + 6 * MINUTE,
            ),
        ],
        expectations=[
            Expect(MON_NOON, "cart_ordered", "cart_abandonment", 1, "sent"),
            Expect(MON_NOON, "cart_ordered", "cart_abandonment", 2, "scheduled"),
            Expect(TUE_NOON, "cart_ordered", "cart_abandonment", 1, "sent"),
            Expect(
                TUE_NOON,
                "cart_ordered",
                "cart_abandonment",
                2,
                "cancelled",
                status_reason="order_completed",
            ),
            Expect(
                TUE_NOON,
                "cart_ordered",
                "cart_abandonment",
                3,
                "cancelled",
                status_reason="order_completed",
            ),
        ],
    ),
    Scenario(
        name="cart_emptied",
        description="The contact removes the only item the next morning: every step is cancelled.",
        rows=[
            *subscriber("cart_emptier"),
            product("cart_emptied_p1"),
            cart_event(
                "Product Added", "cart_emptier", "cart_emptied_p1", ADDED_AT, "cart_emptied_k"
            ),
            cart_event(
                "Product Removed",
                "cart_emptier",
                "cart_emptied_p1",
                T0 + DAY + 9 * HOUR,
                "cart_emptied_k",
            ),
        ],
        expectations=[
            Expect(MON_NOON, "cart_emptier", "cart_abandonment", 1, "due"),
            Expect(
                TUE_NOON,
                "cart_emptier",
                "cart_abandonment",
                1,
                "cancelled",
                status_reason="cart_emptied",
            ),
            Count(TUE_NOON, "cart_emptier", "cancelled", 3, trigger_key="cart_abandonment"),
            Count(TUE_NOON, "cart_emptier", "due", 0),
        ],
    ),
    Scenario(
        name="cart_updated",
        description=(
            "A second product added the next morning starts a new series from that activity;"
            " the first is cancelled. The new cart holds both products."
        ),
        rows=[
            *subscriber("cart_updater"),
            product("cart_updated_p1"),
            product("cart_updated_p2", name="Mug", price=8.0),
            cart_event(
                "Product Added", "cart_updater", "cart_updated_p1", ADDED_AT, "cart_updated_k"
            ),
            Event(
                "Product Added",
                "cart_updater",
                T0 + DAY + 8 * HOUR,
                {
                    "product_id": "cart_updated_p2",
                    "cart_id": "cart_updated_k",
                    "name": "Mug",
                    "price": 8.0,
                },
            ),
        ],
        expectations=[
            Expect(
                TUE_NOON,
                "cart_updater",
                "cart_abandonment",
                2,
                "cancelled",
                series_id=series_id("cart_updated_k", ADDED_AT),
                status_reason="cart_updated",
            ),
            Expect(
                TUE_NOON,
                "cart_updater",
                "cart_abandonment",
                1,
                "due",
                series_id=series_id("cart_updated_k", T0 + DAY + 8 * HOUR),
                due_at=T0 + DAY + 9 * HOUR,
                payload={
                    "cart_items": 2,
                    "cart_value": 22.5,
                    "items": [item("cart_updated_p1", 1), item("cart_updated_p2", 1, "Mug", 8.0)],
                },
            ),
        ],
    ),
]
