"""price_drop: a catalog change lowering a product's price at least 10% below the price the
contact saw when they last viewed or wishlisted it in the 30 days before; anchored when the
change lands; one step at 0 h; re-entry once per product per 30 days; cancelled when the
price goes back above that threshold before the send."""

from __future__ import annotations

from datetime import datetime

from tests.scenarios.harness import (
    DAY,
    HOUR,
    INSTANTS,
    T0,
    Count,
    Event,
    Expect,
    NoSends,
    Product,
    Scenario,
    subscriber,
)

MON_NOON, TUE_NOON, WED_NOON, THU_NOON, _, _, _ = INSTANTS
LISTED = T0 - 30 * DAY


def mug(price: float, at: datetime) -> Product:
    return Product(
        "price_drop_mug",
        "Stoneware Mug",
        price,
        at,
        category="kitchen",
        image_url="https://img.example.com/mug.jpg",
        url="https://shop.example.com/p/mug",
    )


MUG_DROP = T0 + DAY + 10 * HOUR  # Tue 10:00
MUG_SECOND_DROP = T0 + 3 * DAY + 6 * HOUR  # Thu 06:00
LAMP_DROP = T0 + 2 * DAY + 8 * HOUR  # Wed 08:00
LAMP_RESTORED = T0 + 2 * DAY + 11 * HOUR  # Wed 11:00

SCENARIOS = [
    Scenario(
        name="price_drop_fires_once_per_product",
        description=(
            "Viewed at 20.00 five days before the mug drops to 16.00 (Tue 10:00): due at once"
            " with old and new price; a second drop to 14.00 two days later is within the"
            " 30-day re-entry window and makes no second series."
        ),
        rows=[
            mug(20.0, LISTED),
            mug(16.0, MUG_DROP),
            mug(14.0, MUG_SECOND_DROP),
            *subscriber("price_drop_viewer", timezone="UTC"),
            Event(
                "Product Viewed",
                "price_drop_viewer",
                T0 - 5 * DAY,
                {"product_id": "price_drop_mug", "name": "Stoneware Mug", "price": 20.0},
            ),
        ],
        expectations=[
            NoSends(MON_NOON, "price_drop_viewer", "price_drop"),
            Expect(
                TUE_NOON,
                "price_drop_viewer",
                "price_drop",
                1,
                "due",
                due_at=MUG_DROP,
                series_id="price_drop_mug@2026-03-03T10:00:00",
                status_reason=None,
                payload={
                    "product_id": "price_drop_mug",
                    "product_name": "Stoneware Mug",
                    "image_url": "https://img.example.com/mug.jpg",
                    "product_url": "https://shop.example.com/p/mug",
                    "old_price": 20.0,
                    "new_price": 16.0,
                },
            ),
            Expect(WED_NOON, "price_drop_viewer", "price_drop", 1, "expired"),
            Count(THU_NOON, "price_drop_viewer", "expired", 1, trigger_key="price_drop"),
            Count(THU_NOON, "price_drop_viewer", "due", 0, trigger_key="price_drop"),
        ],
    ),
    Scenario(
        name="price_drop_restored_or_too_small",
        description=(
            "A wishlisted lamp (50.00 then) drops to 40.00 on Wed 08:00 and is back at 50.00"
            " at 11:00: cancelled. A kettle viewed at 30.00 drops 5%: no series."
        ),
        rows=[
            Product("price_drop_lamp", "Desk Lamp", 50.0, LISTED, category="lighting"),
            Product("price_drop_lamp", "Desk Lamp", 40.0, LAMP_DROP, category="lighting"),
            Product("price_drop_lamp", "Desk Lamp", 50.0, LAMP_RESTORED, category="lighting"),
            Product("price_drop_kettle", "Kettle", 30.0, LISTED, category="kitchen"),
            Product("price_drop_kettle", "Kettle", 28.5, MUG_DROP, category="kitchen"),
            *subscriber("price_drop_wisher", timezone="Europe/Berlin"),
            Event(
                "Product Added to Wishlist",
                "price_drop_wisher",
                T0 - 3 * DAY,
                {"product_id": "price_drop_lamp"},
            ),
            *subscriber("price_drop_five_pct", timezone="UTC"),
            Event(
                "Product Viewed",
                "price_drop_five_pct",
                T0 - 2 * DAY,
                {"product_id": "price_drop_kettle", "price": 30.0},
            ),
        ],
        expectations=[
            Expect(
                WED_NOON,
                "price_drop_wisher",
                "price_drop",
                1,
                "cancelled",
                due_at=LAMP_DROP,
                status_reason="price_restored",
                payload={"old_price": 50.0, "new_price": 40.0},
            ),
            NoSends(WED_NOON, "price_drop_five_pct", "price_drop"),
        ],
    ),
]
