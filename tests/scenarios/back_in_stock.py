"""back_in_stock: a wishlisted product whose stock goes from 0 to more than 0; anchored when
the catalog change lands; one step at 0 h; cancelled when it sells out again before the
send."""

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

MON_NOON, TUE_NOON, WED_NOON, THU_NOON, SAT_NOON, _, _ = INSTANTS
LISTED = T0 - 30 * DAY
TENT_RESTOCKED = T0 + 2 * DAY + 9 * HOUR  # Wed 09:00
STOVE_RESTOCKED = T0 + 4 * DAY + 9 * HOUR  # Fri 09:00
STOVE_SOLD_OUT = T0 + 4 * DAY + 20 * HOUR  # Fri 20:00


def tent(stock: int, at: datetime) -> Product:
    return Product(
        "back_in_stock_tent",
        "Two-Person Tent",
        189.0,
        at,
        category="outdoor",
        stock_quantity=stock,
        image_url="https://img.example.com/tent.jpg",
        url="https://shop.example.com/p/tent",
    )


def stove(stock: int, at: datetime) -> Product:
    return Product("back_in_stock_stove", "Camp Stove", 59.0, at, "outdoor", stock)


def wishlist(contact_id: str, product_id: str, at: datetime) -> Event:
    return Event("Product Added to Wishlist", contact_id, at, {"product_id": product_id})


SCENARIOS = [
    Scenario(
        name="back_in_stock_fires",
        description=(
            "The tent sells out 8 days before T0 and is restocked on Wed 09:00: the contact who"
            " wishlisted it before is due then (in New York, at 08:00 local after quiet"
            " hours); one who wishlisted it after the restock is not."
        ),
        rows=[
            tent(5, LISTED),
            tent(0, T0 - 8 * DAY),
            tent(12, TENT_RESTOCKED),
            *subscriber("back_in_stock_wisher", timezone="America/New_York"),
            wishlist("back_in_stock_wisher", "back_in_stock_tent", T0 - 10 * DAY),
            *subscriber("back_in_stock_late", timezone="UTC"),
            wishlist("back_in_stock_late", "back_in_stock_tent", TENT_RESTOCKED + HOUR),
        ],
        expectations=[
            NoSends(TUE_NOON, "back_in_stock_wisher", "back_in_stock"),
            # 09:00 UTC is 04:00 in New York: deferred by quiet hours to 08:00 EST
            Expect(
                WED_NOON,
                "back_in_stock_wisher",
                "back_in_stock",
                1,
                "scheduled",
                due_at=TENT_RESTOCKED + 4 * HOUR,
                series_id="back_in_stock_tent@2026-03-04T09:00:00",
                status_reason="quiet_hours",
            ),
            Expect(
                THU_NOON,
                "back_in_stock_wisher",
                "back_in_stock",
                1,
                "due",
                due_at=TENT_RESTOCKED + 4 * HOUR,
                payload={
                    "product_id": "back_in_stock_tent",
                    "product_name": "Two-Person Tent",
                    "image_url": "https://img.example.com/tent.jpg",
                    "product_url": "https://shop.example.com/p/tent",
                    "price": 189.0,
                    "stock_quantity": 12,
                },
            ),
            Expect(SAT_NOON, "back_in_stock_wisher", "back_in_stock", 1, "expired"),
            NoSends(THU_NOON, "back_in_stock_late", "back_in_stock"),
        ],
    ),
    Scenario(
        name="back_in_stock_sold_out_again",
        description=(
            "The stove is restocked on Fri 09:00 and sold out again at 20:00, before any build"
            " sent the step: as of Saturday it is cancelled, not expired."
        ),
        rows=[
            stove(8, LISTED),
            stove(0, T0 - 5 * DAY),
            stove(3, STOVE_RESTOCKED),
            stove(0, STOVE_SOLD_OUT),
            *subscriber("back_in_stock_sold_out", timezone="Asia/Tokyo"),
            wishlist("back_in_stock_sold_out", "back_in_stock_stove", T0 - 10 * DAY),
        ],
        expectations=[
            Expect(
                SAT_NOON,
                "back_in_stock_sold_out",
                "back_in_stock",
                1,
                "cancelled",
                status_reason="sold_out_again",
            ),
        ],
    ),
]
