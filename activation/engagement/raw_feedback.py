"""An ESP engagement event as the raw contract's ESP feedback event
(docs/contracts/raw_events.md): its name, its properties (email_id, send_key, trigger_key,
step, variant, link_url, bounce_type) and a message_id that is a hash of the ESP's own event
id, so the same event always lands under the same id."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from .events import UNSUBSCRIBED, EspEvent

MESSAGE_ID_PREFIX = "esp-engagement-"


def message_id(destination: str, event_id: str) -> str:
    digest = hashlib.sha256(f"{destination}|{event_id}".encode()).hexdigest()[:32]
    return MESSAGE_ID_PREFIX + digest


def feedback_properties(event: EspEvent, destination: str) -> dict[str, Any]:
    given = {name: value for name, value in event.properties.items() if value is not None}
    properties: dict[str, Any] = {
        "email_id": given.pop("email_id", None) or given.get("send_key") or event.event_id,
        "esp": destination,
        "esp_event_id": event.event_id,
        **given,
    }
    if event.event == UNSUBSCRIBED:
        properties.update({"channel": "email", "source": "esp"})
    return properties


def raw_row(
    event: EspEvent, destination: str, contact_id: str | None, landed_at: datetime
) -> tuple[object, ...]:
    """A raw.events row; an event whose profile matches no contact keeps the ESP's profile
    as its anonymous_id (kept and countable, not dropped)."""
    return (
        message_id(destination, event.event_id),
        event.event,
        contact_id,
        None if contact_id else f"{destination}:{event.profile_id}",
        event.occurred_at,
        landed_at,
        json.dumps(feedback_properties(event, destination), default=str),
        json.dumps({"channel": "email"}),
    )
