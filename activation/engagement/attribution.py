"""Which send an engagement event answers, from the send ledger
(``activation.send_ledger``) of the same account.

- An event that names its ``send_key`` (Klaviyo echoes the tracked event's properties) gets
  the send's trigger_key, step, variant and series_id where the ESP did not echo them.
- An event that names no send but the trigger whose campaign sent it (Mailchimp's and
  Customer.io's reports name a campaign, mapped to a trigger in the settings) goes to the
  contact's latest send of that trigger at or before the email was sent (``sent_at``; the
  event's own time when the ESP does not say), ``SEND_SKEW`` allowed for the ledger
  recording a send after the ESP took it. Two sends of one trigger to one contact closer
  together than the engagement comes can be confused; where the ESP gives the send time
  they cannot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..batching import chunks
from ..sends.ledger import LEDGER
from ..warehouse import WarehouseConnection
from .events import SEND_PROPERTIES, EspEvent

SEND_SKEW = timedelta(minutes=10)
CHUNK = 500


@dataclass(frozen=True)
class LedgerSend:
    send_key: str
    contact_id: str
    trigger_key: str
    step: int | None
    variant: str | None
    series_id: str
    sent_at: datetime

    def properties(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in SEND_PROPERTIES}


class SendAttribution:
    """The account's sent sends, looked up for one batch of events at a time."""

    def __init__(self, connection: WarehouseConnection, destination_target: str) -> None:
        self.connection = connection
        self.target = destination_target
        self.ledger_exists = connection.columns(LEDGER.schema, LEDGER.name) is not None

    def properties(self, events: Iterable[tuple[EspEvent, str | None]]) -> list[dict[str, Any]]:
        """For each (event, contact_id): the event's properties with its send's filled in."""
        pairs = list(events)
        contacts = sorted({contact for event, contact in pairs if contact and _needs(event)})
        by_contact = self._sends(contacts)
        by_key = {send.send_key: send for sends in by_contact.values() for send in sends}
        keys = sorted(
            {
                str(event.properties["send_key"])
                for event, _ in pairs
                if event.properties.get("send_key") and event.properties["send_key"] not in by_key
            }
        )
        by_key.update(self._by_keys(keys))
        return [self._attribute(event, contact, by_key, by_contact) for event, contact in pairs]

    def _attribute(
        self,
        event: EspEvent,
        contact_id: str | None,
        by_key: dict[str, LedgerSend],
        by_contact: dict[str, list[LedgerSend]],
    ) -> dict[str, Any]:
        properties = dict(event.properties)
        send_key = properties.get("send_key")
        send = by_key.get(str(send_key)) if send_key else None
        if send is None and not send_key and properties.get("trigger_key") and contact_id:
            sent_by = (event.sent_at or event.occurred_at) + SEND_SKEW
            earlier = [
                candidate
                for candidate in by_contact.get(contact_id, [])
                if candidate.trigger_key == properties["trigger_key"]
                and candidate.sent_at <= sent_by
            ]
            send = max(earlier, key=lambda candidate: candidate.sent_at, default=None)
        if send is not None:
            for name, value in send.properties().items():
                if properties.get(name) is None and value is not None:
                    properties[name] = value
        return properties

    def _sends(self, contacts: list[str]) -> dict[str, list[LedgerSend]]:
        found: dict[str, list[LedgerSend]] = {}
        for send in self._select("contact_id", contacts):
            found.setdefault(send.contact_id, []).append(send)
        return found

    def _by_keys(self, keys: list[str]) -> dict[str, LedgerSend]:
        return {send.send_key: send for send in self._select("send_key", keys)}

    def _select(self, column: str, values: list[str]) -> list[LedgerSend]:
        if not values or not self.ledger_exists:
            return []
        sends: list[LedgerSend] = []
        for part in chunks(values, CHUNK):
            listed = ", ".join("?" for _ in part)
            rows = self.connection.fetchall(
                "select send_key, contact_id, trigger_key, step, variant, series_id, sent_at"
                f" from {LEDGER.qualified} where destination_target = ? and status = 'sent'"
                f" and sent_at is not null and {column} in ({listed})",
                [self.target, *part],
            )
            sends.extend(
                LedgerSend(
                    send_key=str(row[0]),
                    contact_id=str(row[1]),
                    trigger_key=str(row[2]),
                    step=None if row[3] is None else int(row[3]),
                    variant=None if row[4] is None else str(row[4]),
                    series_id=str(row[5]),
                    sent_at=row[6],
                )
                for row in rows
            )
        return sends


def _needs(event: EspEvent) -> bool:
    """An event naming no send but its trigger is attributed by contact."""
    return not event.properties.get("send_key") and bool(event.properties.get("trigger_key"))
