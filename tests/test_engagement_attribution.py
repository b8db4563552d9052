"""Attribution of ESP engagement to the send it answers, from the send ledger of the same
account: an event naming its trigger goes to the contact's latest sent send of that trigger
at or before the email was sent (or, when the ESP does not say, before the event); an event
naming its send_key gets the send's trigger, step and variant; other accounts' sends and
sends not sent are never chosen."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from activation.engagement.attribution import SendAttribution
from activation.engagement.events import OPENED, EspEvent
from activation.sends.ledger import LEDGER_COLUMNS, LEDGER_TABLE, ensure_ledger
from activation.warehouse import Warehouse

TARGET = "mailchimp:us1.api.mailchimp.com#key-sha256:000000000000"
T0 = datetime(2026, 11, 2, 9, 0, 0)


def ledger_row(send_key: str, sent_at: datetime | None, **changes: Any) -> tuple[object, ...]:
    row: dict[str, Any] = {
        "send_key": send_key,
        "destination_target": TARGET,
        "contact_id": "c-1",
        "trigger_key": "cart_abandonment",
        "step": 1,
        "series_id": "s-1",
        "variant": "A",
        "status": "sent",
        "status_reason": None,
        "attempts": 1,
        "last_error": None,
        "created_at": sent_at or T0,
        "sent_at": sent_at,
        "updated_at": sent_at or T0,
        "due_at": sent_at,
        "deferred_until": None,
        "expires_at": None,
        "timezone": "UTC",
        "first_attempt_at": sent_at,
        **changes,
    }
    return tuple(row[column] for column in LEDGER_COLUMNS)


def opened(at: datetime, sent_at: datetime | None = None, **properties: Any) -> EspEvent:
    return EspEvent(
        event_id=f"open-{at.isoformat()}-{sorted(properties.items())}",
        event=OPENED,
        occurred_at=at,
        profile_id="p-1",
        email="c-1@example.com",
        external_id=None,
        properties=properties,
        sent_at=sent_at,
    )


def test_events_go_to_the_send_they_answer(tmp_path: Path) -> None:
    step_two_at = T0 + timedelta(days=1)
    with Warehouse(tmp_path / "nudge.duckdb") as connection:
        ensure_ledger(connection)
        connection.insert_rows(
            LEDGER_TABLE,
            LEDGER_COLUMNS,
            [
                ledger_row("sk-1", T0),
                ledger_row("sk-2", step_two_at, step=2, variant="B"),
                ledger_row("sk-welcome", T0 + timedelta(hours=1), trigger_key="welcome"),
                # later, but not the account's, or not sent
                ledger_row("sk-other", T0 + timedelta(hours=2), destination_target="klaviyo:x"),
                ledger_row("sk-failed", T0 + timedelta(hours=3), status="failed"),
                ledger_row("sk-c2", T0, contact_id="c-2"),
            ],
        )
        cart = {"trigger_key": "cart_abandonment"}
        cases = [
            (opened(T0 + timedelta(hours=5), **cart), "c-1", ("sk-1", 1, "A")),
            (opened(step_two_at + timedelta(minutes=5), **cart), "c-1", ("sk-2", 2, "B")),
            # the ESP says the email went out with step 1, though it was opened after step 2
            (opened(step_two_at + timedelta(hours=1), T0, **cart), "c-1", ("sk-1", 1, "A")),
            # sent a few minutes before the ledger recorded the send
            (
                opened(T0 + timedelta(hours=1), T0 - timedelta(minutes=3), **cart),
                "c-1",
                ("sk-1", 1, "A"),
            ),
            (opened(T0 + timedelta(hours=2), trigger_key="welcome"), "c-1", ("sk-welcome", 1, "A")),
            (opened(T0 + timedelta(hours=4), send_key="sk-2"), None, ("sk-2", 2, "B")),
            (opened(T0 + timedelta(hours=1), **cart), "c-2", ("sk-c2", 1, "A")),
            # before any send of the trigger, another contact, no trigger: no send
            (opened(T0 - timedelta(hours=1), **cart), "c-1", (None, None, None)),
            (opened(T0 + timedelta(hours=5), **cart), "c-9", (None, None, None)),
            (opened(T0 + timedelta(hours=5)), "c-1", (None, None, None)),
        ]
        attributed = SendAttribution(connection, TARGET).properties(
            (event, contact) for event, contact, _ in cases
        )
    for (event, _, expected), properties in zip(cases, attributed, strict=True):
        got = (properties.get("send_key"), properties.get("step"), properties.get("variant"))
        assert got == expected, (event, properties)
        if expected[0] == "sk-2":
            assert (properties["trigger_key"], properties["series_id"]) == (
                "cart_abandonment",
                "s-1",
            )


def test_without_a_ledger_events_keep_what_the_esp_said(tmp_path: Path) -> None:
    event = opened(T0, trigger_key="welcome")
    with Warehouse(tmp_path / "nudge.duckdb") as connection:
        (properties,) = SendAttribution(connection, TARGET).properties([(event, "c-1")])
    assert properties == {"trigger_key": "welcome"}
