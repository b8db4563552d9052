"""replenishment: the latest purchase of a product with a cycle (the catalog's
replenishment_days, else the contact's own median interval); one step 3 days before the
cycle ends; cancelled by a repurchase."""

from __future__ import annotations

from datetime import datetime

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
DUE_AT = T0 + DAY + 10 * HOUR  # Tue 03-03 10:00

BEANS = Product(
    "rp_beans", "House Beans", 14.0, T0 - 90 * DAY, category="rp_coffee", replenishment_days=30
)
FILTERS = Product("rp_filters", "Filters", 5.0, T0 - 90 * DAY, category="rp_coffee")
TEA = Product(
    "rp_tea", "Green Tea", 9.0, T0 - 90 * DAY, category="rp_coffee", replenishment_days=30
)


def order(contact_id: str, order_id: str, at: datetime, product: Product) -> Event:
    line = {
        "product_id": product.product_id,
        "name": product.name,
        "price": product.price,
        "quantity": 1,
    }
    return Event(
        "Order Completed",
        contact_id,
        at,
        {"order_id": order_id, "total": product.price, "products": [line]},
    )


SCENARIOS = [
    Scenario(
        name="replenishment_catalog_cycle",
        description=(
            "Beans with a 30-day cycle bought on Wed 02-04 10:00: the reminder is due 27 days"
            " later."
        ),
        rows=[
            BEANS,
            *subscriber("rp_catalog_a"),
            order("rp_catalog_a", "rp_o1", DUE_AT - 27 * DAY, BEANS),
        ],
        expectations=[
            Expect(
                MON_NOON,
                "rp_catalog_a",
                "replenishment",
                1,
                "scheduled",
                due_at=DUE_AT,
                series_id="rp_beans@rp_o1",
            ),
            Expect(
                TUE_NOON,
                "rp_catalog_a",
                "replenishment",
                1,
                "due",
                due_at=DUE_AT,
                series_id="rp_beans@rp_o1",
                payload={
                    "order_id": "rp_o1",
                    "cycle_days": 30,
                    "cycle_source": "catalog",
                    "quantity": 1,
                },
            ),
        ],
    ),
    Scenario(
        name="replenishment_own_cycle",
        description=(
            "Filters (no catalog cycle) bought 20 days apart, last on Fri 02-13 10:00: the"
            " contact's own 20-day cycle makes the reminder due 17 days later."
        ),
        rows=[
            FILTERS,
            *subscriber("rp_own"),
            order("rp_own", "rp_o2", DUE_AT - 37 * DAY, FILTERS),
            order("rp_own", "rp_o3", DUE_AT - 17 * DAY, FILTERS),
        ],
        expectations=[
            Expect(
                MON_NOON,
                "rp_own",
                "replenishment",
                1,
                "scheduled",
                due_at=DUE_AT,
                series_id="rp_filters@rp_o3",
            ),
            Expect(
                TUE_NOON,
                "rp_own",
                "replenishment",
                1,
                "due",
                due_at=DUE_AT,
                series_id="rp_filters@rp_o3",
                payload={"cycle_days": 20, "cycle_source": "own_median"},
            ),
        ],
    ),
    Scenario(
        name="replenishment_repurchased",
        description=(
            "Tea (30-day cycle) bought on Wed 02-04, bought again on Tue 03-03 09:00 before "
            "the reminder: cancelled."
        ),
        rows=[
            TEA,
            *subscriber("rp_again"),
            order("rp_again", "rp_o4", DUE_AT - 27 * DAY, TEA),
            order("rp_again", "rp_o5", T0 + DAY + 9 * HOUR, TEA),
        ],
        expectations=[
            Expect(
                MON_NOON,
                "rp_again",
                "replenishment",
                1,
                "scheduled",
                due_at=DUE_AT,
                series_id="rp_tea@rp_o4",
            ),
            Expect(
                TUE_NOON,
                "rp_again",
                "replenishment",
                1,
                "cancelled",
                series_id="rp_tea@rp_o4",
                status_reason="repurchased",
            ),
            Expect(
                TUE_NOON,
                "rp_again",
                "replenishment",
                1,
                "scheduled",
                series_id="rp_tea@rp_o5",
                due_at=T0 + 28 * DAY + 9 * HOUR,
            ),
        ],
    ),
]
