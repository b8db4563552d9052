"""welcome: anchored at the first Signed Up or Subscribed; steps at 0 h, 2 d and 5 d; cancelled
by an unsubscribe; opted out of quiet hours in the catalog."""

from __future__ import annotations

from tests.scenarios.harness import (
    DAY,
    HOUR,
    INSTANTS,
    T0,
    Event,
    Expect,
    Identify,
    LedgerRow,
    Scenario,
)

MON_NOON, TUE_NOON, WED_NOON, THU_NOON, SAT_NOON, _, _ = INSTANTS
SIGNED_UP_AT = T0 + 10 * HOUR

SCENARIOS = [
    Scenario(
        name="welcome_fires",
        description="A newsletter sign-up: step 1 at once, step 2 two days later, step 3 five.",
        rows=[
            Identify(
                "welcome_wendy",
                SIGNED_UP_AT - HOUR,
                {"email": "w@example.com", "first_name": "Wendy", "timezone": "UTC"},
            ),
            Event("Signed Up", "welcome_wendy", SIGNED_UP_AT, {"method": "newsletter"}),
        ],
        expectations=[
            Expect(
                MON_NOON,
                "welcome_wendy",
                "welcome",
                1,
                "due",
                due_at=SIGNED_UP_AT,
                series_id="welcome",
                payload={"first_name": "Wendy", "signup_method": "newsletter", "incentive": False},
            ),
            Expect(
                MON_NOON, "welcome_wendy", "welcome", 2, "scheduled", due_at=SIGNED_UP_AT + 2 * DAY
            ),
            Expect(
                MON_NOON, "welcome_wendy", "welcome", 3, "scheduled", due_at=SIGNED_UP_AT + 5 * DAY
            ),
            # 26 h after its due time, never sent: past the 24 h lateness
            Expect(
                TUE_NOON,
                "welcome_wendy",
                "welcome",
                1,
                "expired",
                status_reason="max_send_lateness",
            ),
            Expect(TUE_NOON, "welcome_wendy", "welcome", 2, "scheduled"),
            Expect(WED_NOON, "welcome_wendy", "welcome", 2, "due", status_reason=None),
            Expect(THU_NOON, "welcome_wendy", "welcome", 2, "expired"),
            Expect(SAT_NOON, "welcome_wendy", "welcome", 3, "due"),
        ],
    ),
    Scenario(
        name="welcome_unsubscribes",
        description=(
            "Step 1 is sent (ledger), then the contact unsubscribes the next morning: the"
            " sent step stays sent, the others are cancelled."
        ),
        rows=[
            Identify("welcome_unsubscribes", SIGNED_UP_AT - HOUR, {"email": "u@example.com"}),
            Event("Subscribed", "welcome_unsubscribes", SIGNED_UP_AT, {"channel": "email"}),
            Event(
                "Unsubscribed",
                "welcome_unsubscribes",
                T0 + DAY + 8 * HOUR,
                {"channel": "email", "source": "esp"},
            ),
        ],
        ledger=[
            LedgerRow(
                "welcome_unsubscribes",
                "welcome",
                "welcome",
                1,
                "sent",
                created_at=SIGNED_UP_AT + 2 * HOUR,
                sent_at=SIGNED_UP_AT + 2 * HOUR,
                variant="B",
            ),
        ],
        expectations=[
            Expect(
                MON_NOON, "welcome_unsubscribes", "welcome", 1, "sent", status_reason="ledger_sent"
            ),
            Expect(MON_NOON, "welcome_unsubscribes", "welcome", 2, "scheduled"),
            Expect(TUE_NOON, "welcome_unsubscribes", "welcome", 1, "sent"),
            Expect(
                TUE_NOON,
                "welcome_unsubscribes",
                "welcome",
                2,
                "cancelled",
                status_reason="unsubscribed",
            ),
            Expect(
                TUE_NOON,
                "welcome_unsubscribes",
                "welcome",
                3,
                "cancelled",
                status_reason="unsubscribed",
            ),
        ],
    ),
    Scenario(
        name="welcome_account_only",
        description="An account sign-up without newsletter consent: the series exists, suppressed.",
        rows=[
            Identify("welcome_account_only", SIGNED_UP_AT - HOUR, {"email": "a@example.com"}),
            Event("Signed Up", "welcome_account_only", SIGNED_UP_AT, {"method": "account"}),
        ],
        expectations=[
            Expect(
                MON_NOON,
                "welcome_account_only",
                "welcome",
                1,
                "suppressed",
                status_reason="no_consent",
            ),
            Expect(
                MON_NOON,
                "welcome_account_only",
                "welcome",
                3,
                "suppressed",
                status_reason="no_consent",
            ),
        ],
    ),
    Scenario(
        name="welcome_tokyo_night",
        description=(
            "Signed up at 22:00 in Tokyo: welcome opts out of quiet hours, so step 1 is"
            " not deferred."
        ),
        rows=[
            Identify(
                "welcome_tokyo_night",
                T0 + 12 * HOUR,
                {"email": "t@example.com", "timezone": "Asia/Tokyo"},
            ),
            Event("Signed Up", "welcome_tokyo_night", T0 + 13 * HOUR, {"method": "newsletter"}),
        ],
        expectations=[
            Expect(
                TUE_NOON,
                "welcome_tokyo_night",
                "welcome",
                1,
                "due",
                due_at=T0 + 13 * HOUR,
                status_reason=None,
            ),
        ],
    ),
]
