"""browse_abandonment: a product viewed twice or more within 7 days, not added or bought;
one step 4 hours after the last view; cancelled by adding it to the cart."""

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
    Product,
    Scenario,
    subscriber,
)

MON_NOON, TUE_NOON, WED_NOON, THU_NOON, _, _, _ = INSTANTS


def product(product_id: str, name: str, price: float, **extra: str) -> Product:
    return Product(product_id, name, price, T0 - 90 * DAY, category="ba_decor", **extra)  # type: ignore[arg-type]


VASE = product(
    "ba_vase",
    "Vase",
    57.99,
    image_url="https://img.example.com/ba_vase.jpg",
    url="https://shop.example.com/p/ba_vase",
)
CANDLE = product("ba_candle", "Candle", 12.0)
LAMP = product("ba_lamp", "Lamp", 30.0)
CATALOG = [VASE, CANDLE, LAMP]  # rows of the first scenario; the others refer to them


def view(contact_id: str, item: Product, at: datetime) -> Event:
    return Event(
        "Product Viewed",
        contact_id,
        at,
        {"product_id": item.product_id, "name": item.name, "price": item.price},
    )


TUE_LAST_VIEW = T0 + DAY + 9 * HOUR  # Tue 03-03 09:00

SCENARIOS = [
    Scenario(
        name="browse_abandonment_fires",
        description=(
            "The vase viewed Tue 08:00 and 09:00: the email is due at 13:00 with the vase and"
            " the other products of its category, most viewed first; it expires a day later."
        ),
        rows=[
            *CATALOG,
            *subscriber("ba_fires"),
            view("ba_fires", VASE, TUE_LAST_VIEW - HOUR),
            view("ba_fires", VASE, TUE_LAST_VIEW),
        ],
        expectations=[
            NoSends(MON_NOON, "ba_fires", "browse_abandonment"),
            Expect(
                TUE_NOON,
                "ba_fires",
                "browse_abandonment",
                1,
                "scheduled",
                due_at=TUE_LAST_VIEW + 4 * HOUR,
                series_id="ba_vase@2026-03-03T08:00:00",
            ),
            Expect(
                WED_NOON,
                "ba_fires",
                "browse_abandonment",
                1,
                "due",
                due_at=TUE_LAST_VIEW + 4 * HOUR,
                payload={
                    "product": {
                        "product_id": "ba_vase",
                        "name": "Vase",
                        "category": "ba_decor",
                        "price": 57.99,
                        "image_url": "https://img.example.com/ba_vase.jpg",
                        "url": "https://shop.example.com/p/ba_vase",
                    },
                    "last_viewed_at": "2026-03-03T09:00:00",
                    "recommended_products": [
                        {
                            "product_id": "ba_lamp",
                            "name": "Lamp",
                            "price": 30.0,
                            "image_url": None,
                            "url": None,
                        },
                        {
                            "product_id": "ba_candle",
                            "name": "Candle",
                            "price": 12.0,
                            "image_url": None,
                            "url": None,
                        },
                    ],
                },
            ),
            Expect(THU_NOON, "ba_fires", "browse_abandonment", 1, "expired"),
        ],
    ),
    Scenario(
        name="browse_abandonment_added",
        description=(
            "The lamp viewed Mon 08:00 and 09:00 (due 13:00), added to the cart at 12:30: "
            "cancelled."
        ),
        rows=[
            *subscriber("ba_added"),
            view("ba_added", LAMP, T0 + 8 * HOUR),
            view("ba_added", LAMP, T0 + 9 * HOUR),
            Event(
                "Product Added",
                "ba_added",
                T0 + 12 * HOUR + HOUR // 2,
                {
                    "product_id": "ba_lamp",
                    "cart_id": "ba_cart_1",
                    "name": "Lamp",
                    "price": 30.0,
                    "quantity": 1,
                },
            ),
        ],
        expectations=[
            Expect(
                MON_NOON, "ba_added", "browse_abandonment", 1, "scheduled", due_at=T0 + 13 * HOUR
            ),
            Expect(
                TUE_NOON,
                "ba_added",
                "browse_abandonment",
                1,
                "cancelled",
                status_reason="product_added",
            ),
        ],
    ),
    Scenario(
        name="browse_abandonment_single_view",
        description="The candle viewed once: no browse abandonment.",
        rows=[*subscriber("ba_once"), view("ba_once", CANDLE, T0 + 8 * HOUR)],
        expectations=[NoSends(TUE_NOON, "ba_once", "browse_abandonment")],
    ),
]
