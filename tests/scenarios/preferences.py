"""Email preferences at the build (docs/contracts/raw_events.md, "Email preferences"): a
topic opt-out suppresses that topic's sends for the address, the latest choice winning; a
chosen frequency caps the address at one email per window, counted from the ledger's last
send. The same rules at the moment of sending: tests/test_send_time_preferences.py."""

from __future__ import annotations

from datetime import datetime

from tests.scenarios.guardrails import left_cart
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
    subscriber,
)

MON_NOON, TUE_NOON, _, _, _, _, _ = INSTANTS


def chose(contact_id: str, at: datetime, **choice: object) -> Event:
    return Event("Email Preferences Updated", contact_id, at, {**choice, "source": "esp"})


def sent_days_before(contact_id: str, days: int) -> LedgerRow:
    return LedgerRow(
        contact_id,
        "winback",
        f"{contact_id}_old_order",
        1,
        "sent",
        created_at=T0 - days * DAY,
        sent_at=T0 - days * DAY,
    )


def cart_step(contact_id: str, step: int, status: str, reason: object = None) -> Expect:
    at = MON_NOON if step == 1 else TUE_NOON
    return Expect(at, contact_id, "cart_abandonment", step, status, status_reason=reason)


SCENARIOS = [
    Scenario(
        name="preference_topic_opt_out",
        description="Opted out of reminders before leaving a cart: no cart reminder.",
        rows=[
            *subscriber("pref_topic"),
            chose("pref_topic", T0 + HOUR, topic=" Reminders", subscribed=False),
            *left_cart("pref_topic"),
        ],
        expectations=[
            cart_step("pref_topic", 1, "suppressed", "topic_opted_out"),
            cart_step("pref_topic", 2, "suppressed", "topic_opted_out"),
        ],
    ),
    Scenario(
        name="preference_other_topic",
        description="Opted out of offers only: the cart reminder (reminders) goes out.",
        rows=[
            *subscriber("pref_offers_only"),
            chose("pref_offers_only", T0 + HOUR, topic="offers", subscribed=False),
            *left_cart("pref_offers_only"),
        ],
        expectations=[cart_step("pref_offers_only", 1, "due")],
    ),
    Scenario(
        name="preference_topic_back",
        description="Opted out of reminders, then back in: the latest choice wins.",
        rows=[
            *subscriber("pref_back"),
            chose("pref_back", T0 + HOUR, topic="reminders", subscribed=False),
            chose("pref_back", T0 + 2 * HOUR, topic="reminders", subscribed="true"),
            *left_cart("pref_back"),
        ],
        expectations=[cart_step("pref_back", 1, "due")],
    ),
    Scenario(
        name="preference_topic_later",
        description="Opted out after the first reminder was due: the second is suppressed.",
        rows=[
            *subscriber("pref_later"),
            *left_cart("pref_later"),
            chose("pref_later", T0 + 13 * HOUR, topic="reminders", subscribed=False),
        ],
        expectations=[
            cart_step("pref_later", 1, "due"),
            cart_step("pref_later", 2, "suppressed", "topic_opted_out"),
        ],
    ),
    Scenario(
        name="preference_topic_guest",
        description="A guest checkout sharing the address opts out: it holds for the account.",
        rows=[
            *subscriber("pref_account", email="pref.shared@example.com"),
            Identify("pref_guest", T0 - 10 * DAY, {"email": "Pref.Shared@example.com "}),
            chose("pref_guest", T0 + HOUR, topic="reminders", subscribed=False),
            *left_cart("pref_account"),
        ],
        expectations=[cart_step("pref_account", 1, "suppressed", "topic_opted_out")],
    ),
    Scenario(
        name="preference_weekly",
        description="Chose weekly; an email 3 days ago holds the cart reminder.",
        rows=[
            *subscriber("pref_weekly"),
            chose("pref_weekly", T0 - 20 * DAY, frequency="Weekly"),
            *left_cart("pref_weekly"),
        ],
        ledger=[sent_days_before("pref_weekly", 3)],
        expectations=[cart_step("pref_weekly", 1, "capped", "email_frequency")],
    ),
    Scenario(
        name="preference_weekly_old",
        description="Chose weekly; the last email was 8 days ago: the reminder is due.",
        rows=[
            *subscriber("pref_weekly_old"),
            chose("pref_weekly_old", T0 - 20 * DAY, frequency="weekly"),
            *left_cart("pref_weekly_old"),
        ],
        ledger=[sent_days_before("pref_weekly_old", 8)],
        expectations=[cart_step("pref_weekly_old", 1, "due")],
    ),
    Scenario(
        name="preference_monthly",
        description="Chose monthly; an email 10 days ago holds the reminder, weekly would not.",
        rows=[
            *subscriber("pref_monthly"),
            chose("pref_monthly", T0 - 20 * DAY, frequency="monthly"),
            *left_cart("pref_monthly"),
        ],
        ledger=[sent_days_before("pref_monthly", 10)],
        expectations=[cart_step("pref_monthly", 1, "capped", "email_frequency")],
    ),
    Scenario(
        name="preference_frequency_back_to_all",
        description="Chose monthly, then all: only the project's caps apply.",
        rows=[
            *subscriber("pref_all"),
            chose("pref_all", T0 - 20 * DAY, frequency="monthly"),
            chose("pref_all", T0 - 15 * DAY, frequency="all"),
            *left_cart("pref_all"),
        ],
        ledger=[sent_days_before("pref_all", 10)],
        expectations=[cart_step("pref_all", 1, "due")],
    ),
]
