"""category_interest: entering category_browser__<category> (3+ product views in the category
within 14 days, no purchase in it); one step at 0 h with new or popular products of the
category; re-entry once per category per 30 days. Anchored at the last view in the
category before the entry, so a first build's mass entry expires old browsing."""

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
    NoSends,
    Product,
    Scenario,
    subscriber,
)

MON_NOON, TUE_NOON, WED_NOON, _, _, _, _ = INSTANTS
CATEGORY = "Garden Tools"
LISTED = T0 - 60 * DAY


def tool(product_id: str, name: str, price: float, at: datetime, stock: int = 10) -> Product:
    return Product(
        f"category_interest_{product_id}",
        name,
        price,
        at,
        category=CATEGORY,
        stock_quantity=stock,
        image_url=f"https://img.example.com/{product_id}.jpg",
        url=f"https://shop.example.com/p/{product_id}",
    )


def view(contact_id: str, product_id: str, at: datetime) -> Event:
    return Event(
        "Product Viewed", contact_id, at, {"product_id": f"category_interest_{product_id}"}
    )


LAST_VIEW_AFTER = 20 * HOUR + 30 * MINUTE


def browse(contact_id: str, first_at: datetime) -> list[Event]:
    """Three different garden tools viewed: at first_at, 19 h later and 20 h 30 min later."""
    return [
        view(contact_id, "rake", first_at),
        view(contact_id, "hoe", first_at + 19 * HOUR),
        view(contact_id, "shovel", first_at + LAST_VIEW_AFTER),
    ]


def product_json(product_id: str, name: str, price: float, is_new: bool) -> dict[str, object]:
    return {
        "product_id": f"category_interest_{product_id}",
        "product_name": name,
        "price": price,
        "currency": "USD",
        "image_url": f"https://img.example.com/{product_id}.jpg",
        "product_url": f"https://shop.example.com/p/{product_id}",
        "is_new": is_new,
    }


BROWSE_STARTS = T0 + 14 * HOUR  # Mon 14:00; the third view is Tue 10:30
BROWSING_BEFORE = T0 - 6 * DAY + 14 * HOUR  # Tue 02-24 14:00, the third view Wed 10:30
ENTERED_KEY = "category_browser__garden_tools|category_interest_browser|entered|2026-03-03T12:00:00"

SCENARIOS = [
    Scenario(
        name="category_interest_fires",
        description=(
            "Three garden tools viewed by Tue 10:30: the Tuesday build records the entry, due"
            " from the third view, with the new trowel first, then the rake (bought by someone"
            " this week), then the hoe; the sold-out shovel is left out."
        ),
        rows=[
            tool("rake", "Rake", 24.0, LISTED),
            tool("hoe", "Hoe", 19.5, LISTED),
            tool("shovel", "Shovel", 35.0, LISTED, stock=0),
            tool("trowel", "Trowel", 12.0, T0 - 10 * DAY),
            *subscriber("category_interest_browser", timezone="UTC"),
            *browse("category_interest_browser", BROWSE_STARTS),
        ],
        expectations=[
            NoSends(MON_NOON, "category_interest_browser", "category_interest"),
            Expect(
                TUE_NOON,
                "category_interest_browser",
                "category_interest",
                1,
                "due",
                due_at=BROWSE_STARTS + LAST_VIEW_AFTER,
                series_id=ENTERED_KEY,
                status_reason=None,
                payload={
                    "category": CATEGORY,
                    "category_key": "garden_tools",
                    "products": [
                        product_json("trowel", "Trowel", 12.0, True),
                        product_json("rake", "Rake", 24.0, False),
                        product_json("hoe", "Hoe", 19.5, False),
                    ],
                },
            ),
            Expect(WED_NOON, "category_interest_browser", "category_interest", 1, "expired"),
        ],
    ),
    Scenario(
        name="category_interest_not_new",
        description=(
            "The same browsing by a contact who bought a rake on Monday: not a category"
            " browser. A contact who browsed the category five days before the first build"
            " enters on that build; anchored at the browsing, it is expired."
        ),
        rows=[
            *subscriber("category_interest_buyer", timezone="UTC"),
            Event(
                "Order Completed",
                "category_interest_buyer",
                T0 + 13 * HOUR,
                {
                    "order_id": "category_interest_o1",
                    "total": 24.0,
                    "products": [
                        {"product_id": "category_interest_rake", "price": 24.0, "quantity": 1}
                    ],
                },
            ),
            *browse("category_interest_buyer", BROWSE_STARTS),
            *subscriber("category_interest_before", timezone="UTC"),
            *browse("category_interest_before", BROWSING_BEFORE),
        ],
        expectations=[
            NoSends(TUE_NOON, "category_interest_buyer", "category_interest"),
            NoSends(WED_NOON, "category_interest_buyer", "category_interest"),
            Expect(
                MON_NOON,
                "category_interest_before",
                "category_interest",
                1,
                "expired",
                due_at=BROWSING_BEFORE + LAST_VIEW_AFTER,
            ),
        ],
    ),
]
