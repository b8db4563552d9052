"""One person per address (docs/contracts/behaviors.md): two contact ids whose emails are
equal up to case and spaces (a guest checkout and an account) are one person. Only the
address's primary contact is emailed, the other's sends are 'suppressed'
('duplicate_address'); caps count the ledger's sends to every contact of the address; a
consent end by either contact ends the address's consent."""

from __future__ import annotations

from tests.scenarios.guardrails import cart_series, left_cart
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
    Scenario,
    subscriber,
)

MON_NOON, TUE_NOON, _, _, _, _, _ = INSTANTS


def guest(contact_id: str, email: str) -> list[Event | Identify]:
    """A guest checkout ten days ago with the account's address, typed otherwise, and a
    newsletter box ticked at checkout (its own consent)."""
    at = T0 - 10 * DAY
    return [
        Identify(contact_id, at, {"email": email, "timezone": "UTC"}),
        Event("Signed Up", contact_id, at + MINUTE, {"method": "newsletter"}),
    ]


SCENARIOS = [
    Scenario(
        name="shared_address_one_person",
        description=(
            "Account and guest share an address and both leave a cart Mon 10:00: the account"
            " (seen first) gets the reminder, the guest's is suppressed as duplicate_address."
        ),
        rows=[
            *subscriber("addr_account", email="Pat.Shared@Example.com"),
            *guest("addr_guest", " pat.shared@example.COM "),
            *left_cart("addr_account"),
            *left_cart("addr_guest"),
        ],
        expectations=[
            Expect(MON_NOON, "addr_account", "cart_abandonment", 1, "due"),
            *(
                Expect(
                    MON_NOON,
                    "addr_guest",
                    "cart_abandonment",
                    step,
                    "suppressed",
                    status_reason="duplicate_address",
                )
                for step in (1, 2, 3)
            ),
            Count(MON_NOON, "addr_guest", "due", 0),
            Count(MON_NOON, "addr_guest", "scheduled", 0),
        ],
    ),
    Scenario(
        name="shared_address_caps",
        description=(
            "The guest got an email Mon 02:00 (before the addresses were resolved): the"
            " account's cart reminder due Mon 11:00 is capped for the address's day; its"
            " next step, Tue 10:00, is due."
        ),
        rows=[
            *subscriber("addr_caps_account", email="robin.caps@example.com"),
            *guest("addr_caps_guest", "Robin.Caps@example.com"),
            *left_cart("addr_caps_account"),
        ],
        ledger=[
            LedgerRow(
                "addr_caps_guest",
                "winback",
                "addr_caps_guest_order",
                1,
                "sent",
                created_at=T0 + 2 * HOUR,
                sent_at=T0 + 2 * HOUR + MINUTE,
            ),
        ],
        expectations=[
            Expect(
                MON_NOON,
                "addr_caps_account",
                "cart_abandonment",
                1,
                "capped",
                status_reason="max_sends_per_day",
                series_id=cart_series("addr_caps_account"),
            ),
            Expect(TUE_NOON, "addr_caps_account", "cart_abandonment", 2, "due"),
        ],
    ),
    Scenario(
        name="shared_address_consent",
        description=(
            "The guest unsubscribes Mon 02:00: the address's consent ends, so the account's"
            " cart reminder is suppressed as unsubscribed although the account never did."
        ),
        rows=[
            *subscriber("addr_unsub_account", email="kim.unsub@example.com"),
            *guest("addr_unsub_guest", "KIM.UNSUB@EXAMPLE.COM"),
            Event("Unsubscribed", "addr_unsub_guest", T0 + 2 * HOUR, {"channel": "email"}),
            *left_cart("addr_unsub_account"),
        ],
        expectations=[
            Expect(
                MON_NOON,
                "addr_unsub_account",
                "cart_abandonment",
                1,
                "suppressed",
                status_reason="unsubscribed",
            ),
        ],
    ),
]
