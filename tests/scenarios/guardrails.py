"""Guardrails 1-4 (docs/contracts/behaviors.md): suppression with its reason, staleness on a
first deployment over a year of history, the deterministic holdout, frequency caps with
priority (and the ledger's sends counting towards them). Quiet hours: quiet_hours.py."""

from __future__ import annotations

from datetime import datetime

from tests.scenarios.harness import (
    DAY,
    HOUR,
    INSTANTS,
    MINUTE,
    T0,
    Count,
    Event,
    Expect,
    Identify,
    LedgerRow,
    NoSends,
    Product,
    Scenario,
    is_held_out,
    subscriber,
)

MON_NOON, TUE_NOON, WED_NOON, _, _, _, _ = INSTANTS
ADDED_AT = T0 + 10 * HOUR


def left_cart(name: str, at: datetime = ADDED_AT) -> list[Event | Identify | Product]:
    return [
        Product(f"{name}_p1", "Filter Papers", 4.0, T0 - 30 * DAY),
        Event(
            "Product Added",
            name,
            at,
            {"product_id": f"{name}_p1", "cart_id": f"{name}_k", "price": 4.0},
        ),
    ]


def cart_series(name: str, at: datetime = ADDED_AT) -> str:
    return f"{name}_k@{at:%Y-%m-%dT%H:%M:%S}"


# A contact with a year of monthly orders and abandoned carts, seen by a first deployment:
# only the latest order's first winback step (due 3 hours ago) is sendable.
STALE_LAST_ORDER_AT = T0 - 30 * DAY + 9 * HOUR
STALE_ORDERS = [STALE_LAST_ORDER_AT - 30 * k * DAY for k in range(12)]

# two contacts the holdout takes for cart_abandonment (checked when the module loads)
HELD_OUT = ("holdout_0", "holdout_1")
assert all(is_held_out(contact, "cart_abandonment") for contact in HELD_OUT)

SCENARIOS = [
    Scenario(
        name="suppressed_invalid_email",
        description="A consenting contact whose stated email is not an address.",
        rows=[
            *subscriber("sup_invalid_email", email="not an address"),
            *left_cart("sup_invalid_email"),
        ],
        expectations=[
            Expect(
                MON_NOON,
                "sup_invalid_email",
                "cart_abandonment",
                1,
                "suppressed",
                status_reason="invalid_email",
            ),
            Expect(
                MON_NOON,
                "sup_invalid_email",
                "cart_abandonment",
                2,
                "suppressed",
                status_reason="invalid_email",
            ),
        ],
    ),
    Scenario(
        name="suppressed_spam_complaint",
        description="A spam complaint ten days ago suppresses every send, future steps included.",
        rows=[
            *subscriber("sup_spam"),
            Event(
                "Email Marked as Spam",
                "sup_spam",
                T0 - 10 * DAY,
                {"email_id": "m1"},
                channel="email",
            ),
            *left_cart("sup_spam"),
        ],
        expectations=[
            Expect(
                MON_NOON,
                "sup_spam",
                "cart_abandonment",
                1,
                "suppressed",
                status_reason="spam_complaint",
            ),
            Expect(
                MON_NOON,
                "sup_spam",
                "cart_abandonment",
                3,
                "suppressed",
                status_reason="spam_complaint",
            ),
        ],
    ),
    Scenario(
        name="suppressed_at_send_time",
        description=(
            "Activation skipped step 1 (the ESP had the profile suppressed): suppressed"
            " with the ledger's reason."
        ),
        rows=[*subscriber("sup_skipped"), *left_cart("sup_skipped")],
        ledger=[
            LedgerRow(
                "sup_skipped",
                "cart_abandonment",
                cart_series("sup_skipped"),
                1,
                "skipped",
                created_at=ADDED_AT + HOUR + MINUTE,
                updated_at=ADDED_AT + HOUR + 2 * MINUTE,
                status_reason="esp_suppressed",
            ),
        ],
        expectations=[
            Expect(
                MON_NOON,
                "sup_skipped",
                "cart_abandonment",
                1,
                "suppressed",
                status_reason="esp_suppressed",
            ),
            Expect(MON_NOON, "sup_skipped", "cart_abandonment", 2, "scheduled"),
        ],
    ),
    Scenario(
        name="staleness_first_deployment",
        description=(
            "A year of monthly orders and abandoned carts, built for the first time: no old"
            " reminder is due, only the step that came due in the last 24 hours."
        ),
        rows=[
            *subscriber("stale_history", subscribed_at=T0 - 400 * DAY),
            Product("stale_history_p1", "Espresso Beans", 12.0, T0 - 500 * DAY),
            *(
                Event(
                    "Order Completed",
                    "stale_history",
                    at,
                    {
                        "order_id": f"stale_history_o{n}",
                        "total": 12.0,
                        "products": [{"product_id": "stale_history_p1"}],
                    },
                )
                for n, at in enumerate(STALE_ORDERS)
            ),
            *(
                Event(
                    "Product Added",
                    "stale_history",
                    at + 10 * DAY,
                    {"product_id": "stale_history_p1", "cart_id": f"stale_k{n}"},
                )
                for n, at in enumerate(STALE_ORDERS)
            ),
        ],
        expectations=[
            Expect(
                MON_NOON,
                "stale_history",
                "winback",
                1,
                "due",
                series_id="stale_history_o0",
                due_at=T0 + 9 * HOUR,
            ),
            Count(MON_NOON, "stale_history", "due", 1, trigger_key="winback"),
            Count(MON_NOON, "stale_history", "expired", 3, trigger_key="welcome"),
            # the last cart (20 days ago) is beyond the lookback: its steps are long past
            NoSends(MON_NOON, "stale_history", "cart_abandonment"),
        ],
    ),
    Scenario(
        name="holdout",
        description=(
            "Contacts in the cart_abandonment holdout are recorded as held_out, run after"
            " run, never due; their welcome series is not held out."
        ),
        rows=[
            *(row for contact in HELD_OUT for row in [*subscriber(contact), *left_cart(contact)]),
        ],
        expectations=[
            Expect(at, contact, "cart_abandonment", 1, status, status_reason=reason)
            for contact in HELD_OUT
            for at, status, reason in (
                (MON_NOON, "held_out", "holdout"),
                (TUE_NOON, "expired", "max_send_lateness"),
            )
        ]
        + [Expect(TUE_NOON, contact, "cart_abandonment", 2, "held_out") for contact in HELD_OUT],
    ),
    Scenario(
        name="cap_priority",
        description=(
            "Welcome step 1 and cart step 1 are due in the same run: cart_abandonment"
            " (priority 1) goes, welcome (2) is capped. Once the cart send is in the ledger"
            " it fills the next 24 h, so cart step 2 is capped the next day, and welcome step"
            " 2 goes the day after."
        ),
        rows=[
            Identify("cap_priority", T0 + 10 * HOUR, {"email": "cap@example.com"}),
            Event("Signed Up", "cap_priority", T0 + 11 * HOUR, {"method": "newsletter"}),
            *left_cart("cap_priority", T0 + 10 * HOUR + 30 * MINUTE),
        ],
        ledger=[
            LedgerRow(
                "cap_priority",
                "cart_abandonment",
                cart_series("cap_priority", T0 + 10 * HOUR + 30 * MINUTE),
                1,
                "sent",
                created_at=T0 + 12 * HOUR + 5 * MINUTE,
                sent_at=T0 + 12 * HOUR + 6 * MINUTE,
            ),
        ],
        expectations=[
            Expect(MON_NOON, "cap_priority", "cart_abandonment", 1, "due"),
            Expect(
                MON_NOON, "cap_priority", "welcome", 1, "capped", status_reason="max_sends_per_day"
            ),
            Expect(TUE_NOON, "cap_priority", "cart_abandonment", 1, "sent"),
            Expect(
                TUE_NOON,
                "cap_priority",
                "cart_abandonment",
                2,
                "capped",
                status_reason="max_sends_per_day",
            ),
            Expect(TUE_NOON, "cap_priority", "welcome", 1, "expired"),
            Expect(WED_NOON, "cap_priority", "welcome", 2, "due"),
        ],
    ),
    Scenario(
        name="cap_weekly",
        description="Three ledger sends within 6 days: the weekly cap holds the cart reminder.",
        rows=[*subscriber("cap_weekly"), *left_cart("cap_weekly")],
        ledger=[
            LedgerRow(
                "cap_weekly",
                "winback",
                "cap_weekly_old_order",
                step,
                "sent",
                created_at=T0 - days * DAY,
                sent_at=T0 - days * DAY + MINUTE,
            )
            for step, days in ((1, 6), (2, 4), (3, 2))
        ],
        expectations=[
            Expect(
                MON_NOON,
                "cap_weekly",
                "cart_abandonment",
                1,
                "capped",
                status_reason="max_sends_per_week",
            ),
        ],
    ),
]
