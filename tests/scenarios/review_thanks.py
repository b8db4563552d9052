"""review_thanks: every product review, once per review (a re-sent review is one);
one step an hour later. A review without a product is quarantined: nothing."""

from __future__ import annotations

from tests.scenarios.harness import (
    DAY,
    HOUR,
    INSTANTS,
    MINUTE,
    T0,
    Count,
    Event,
    Expect,
    NoSends,
    Product,
    Scenario,
    subscriber,
)

MON_NOON, TUE_NOON, _, _, _, _, _ = INSTANTS
REVIEWED_AT = T0 + 9 * HOUR + 30 * MINUTE  # Mon 09:30

GRINDER = Product("rt_grinder", "Grinder", 59.0, T0 - 90 * DAY, category="rt_tools")
REVIEW = {"product_id": "rt_grinder", "review_id": "rt_review_1", "rating": 4}

SCENARIOS = [
    Scenario(
        name="review_thanks_once_per_review",
        description=(
            "A review on Mon 09:30, delivered twice by the collector: one thank-you, due 10:30."
        ),
        rows=[
            GRINDER,
            *subscriber("rt_fires"),
            Event("Product Reviewed", "rt_fires", REVIEWED_AT, REVIEW),
            Event(
                "Product Reviewed",
                "rt_fires",
                REVIEWED_AT,
                REVIEW,
                received_at=REVIEWED_AT + 2 * HOUR,
            ),
        ],
        expectations=[
            Expect(
                MON_NOON,
                "rt_fires",
                "review_thanks",
                1,
                "due",
                due_at=REVIEWED_AT + HOUR,
                series_id="rt_review_1",
                payload={"review_id": "rt_review_1", "rating": 4},
                payload_keys=["product", "reviewed_at"],
            ),
            Count(MON_NOON, "rt_fires", "due", 1, "review_thanks"),
            Expect(TUE_NOON, "rt_fires", "review_thanks", 1, "expired", due_at=REVIEWED_AT + HOUR),
        ],
    ),
    Scenario(
        name="review_thanks_without_product",
        description="A Product Reviewed without product_id is quarantined: no thank-you.",
        rows=[
            *subscriber("rt_noproduct"),
            Event(
                "Product Reviewed",
                "rt_noproduct",
                REVIEWED_AT,
                {"review_id": "rt_review_2", "rating": 5},
            ),
        ],
        expectations=[NoSends(MON_NOON, "rt_noproduct", "review_thanks")],
    ),
]
