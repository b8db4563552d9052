"""What the send-time gate writes to the ledger (activation/sends/ledger.py), read back by
the build: 'expired' (too late at the moment of sending) is final, the send is 'expired'
with the ledger's reason; 'deferred' (quiet hours at the send instant) and 'capped' (caps
at the send instant) wait for a later run and change nothing in the build. The scenario
ledger has none of the gate's extra columns (due_at, deferred_until, …): stg_send_ledger
reads them as null."""

from __future__ import annotations

from tests.scenarios.guardrails import ADDED_AT, cart_series, left_cart
from tests.scenarios.harness import (
    HOUR,
    INSTANTS,
    MINUTE,
    Expect,
    LedgerRow,
    Scenario,
    subscriber,
)

MON_NOON, TUE_NOON, _, _, _, _, _ = INSTANTS
STEP_1_DUE = ADDED_AT + HOUR  # Mon 11:00


def judged(contact_id: str, status: str, reason: str) -> LedgerRow:
    """The gate's row for the contact's cart step 1, written Mon 11:05."""
    return LedgerRow(
        contact_id,
        "cart_abandonment",
        cart_series(contact_id),
        1,
        status,
        created_at=STEP_1_DUE + 5 * MINUTE,
        status_reason=reason,
    )


SCENARIOS = [
    Scenario(
        name="ledger_expired_at_send",
        description=(
            "The gate found cart step 1 too late at the moment of sending: 'expired' with"
            " the ledger's reason, before the build's own lateness would say so."
        ),
        rows=[*subscriber("ledger_expired"), *left_cart("ledger_expired")],
        ledger=[judged("ledger_expired", "expired", "max_send_lateness_at_send")],
        expectations=[
            Expect(
                MON_NOON,
                "ledger_expired",
                "cart_abandonment",
                1,
                "expired",
                status_reason="max_send_lateness_at_send",
            ),
            Expect(MON_NOON, "ledger_expired", "cart_abandonment", 2, "scheduled"),
        ],
    ),
    *(
        Scenario(
            name=f"ledger_{status}_at_send",
            description=(
                f"The gate {status} cart step 1 at Mon 11:05 ({reason}): the build still"
                " finds it due; the next run decides."
            ),
            rows=[*subscriber(f"ledger_{status}"), *left_cart(f"ledger_{status}")],
            ledger=[judged(f"ledger_{status}", status, reason)],
            expectations=[
                Expect(MON_NOON, f"ledger_{status}", "cart_abandonment", 1, "due"),
                Expect(
                    TUE_NOON,
                    f"ledger_{status}",
                    "cart_abandonment",
                    1,
                    "expired",
                    status_reason="max_send_lateness",
                ),
            ],
        )
        for status, reason in (("deferred", "quiet_hours_at_send"), ("capped", "max_sends_per_day"))
    ),
]
