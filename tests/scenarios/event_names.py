"""Event names as collectors send them (docs/contracts/raw_events.md): a catalog name in
another case or with surrounding spaces is that catalog event, so a consent end spelled
' unsubscribed ' or 'EMAIL MARKED AS SPAM' suppresses the contact like the exact name."""

from __future__ import annotations

from tests.scenarios.guardrails import left_cart
from tests.scenarios.harness import HOUR, INSTANTS, T0, Event, Expect, Scenario, subscriber

MON_NOON, _, _, _, _, _, _ = INSTANTS

SCENARIOS = [
    Scenario(
        name="event_name_unsubscribed_lower_spaced",
        description=(
            "' unsubscribed ' (lower case, spaces) at Mon 02:00 ends consent: the cart left"
            " at 10:00 gets no email."
        ),
        rows=[
            *subscriber("evname_unsub"),
            Event("  unsubscribed ", "evname_unsub", T0 + 2 * HOUR, {"channel": "email"}),
            *left_cart("evname_unsub"),
        ],
        expectations=[
            Expect(
                MON_NOON,
                "evname_unsub",
                "cart_abandonment",
                step,
                "suppressed",
                status_reason="unsubscribed",
            )
            for step in (1, 2)
        ],
    ),
    Scenario(
        name="event_name_spam_upper",
        description="'EMAIL MARKED AS SPAM' is a spam complaint: every cart step is suppressed.",
        rows=[
            *subscriber("evname_spam"),
            Event(
                "EMAIL MARKED AS SPAM",
                "evname_spam",
                T0 + 2 * HOUR,
                {"email_id": "evname_spam_m1"},
                channel="email",
            ),
            *left_cart("evname_spam"),
        ],
        expectations=[
            Expect(
                MON_NOON,
                "evname_spam",
                "cart_abandonment",
                1,
                "suppressed",
                status_reason="spam_complaint",
            ),
        ],
    ),
]
