"""An ESP engagement event as the raw contract's ESP feedback event
(docs/contracts/raw_events.md): its name, its properties (email_id, send_key, trigger_key,
step, variant, link_url, bounce_type) and a message_id that is a hash of the ESP's own event
id, so the same event always lands under the same id."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from .klaviyo_events import EspEvent

MESSAGE_ID_PREFIX = "esp-engagement-"
RAW_EVENT_NAMES = {
    "Received Email": "Email Delivered",
    "Opened Email": "Email Opened",
    "Clicked Email": "Email Link Clicked",
    "Bounced Email": "Email Bounced",
    "Unsubscribed": "Unsubscribed",
    "Marked Email as Spam": "Email Marked as Spam",
}
# the send's own properties, echoed by the ESP on its engagement (activation/sends/events.py)
ECHOED = ("send_key", "trigger_key", "step", "variant", "series_id")


def message_id(destination: str, event_id: str) -> str:
    digest = hashlib.sha256(f"{destination}|{event_id}".encode()).hexdigest()[:32]
    return MESSAGE_ID_PREFIX + digest


def feedback_properties(event: EspEvent, destination: str) -> dict[str, Any]:
    source = event.properties
    properties: dict[str, Any] = {
        "email_id": source.get("$message") or source.get("$event_id") or event.event_id,
        "esp": destination,
        "esp_event_id": event.event_id,
        "esp_metric": event.metric,
    }
    for name in ECHOED:
        if source.get(name) is not None:
            properties[name] = source[name]
    # Klaviyo's $message is the flow message: for our sends, the send's unique_id = send_key
    if "send_key" not in properties and source.get("$message"):
        properties["send_key"] = source["$message"]
    if event.metric == "Clicked Email" and source.get("URL"):
        properties["link_url"] = source["URL"]
    if event.metric == "Bounced Email":
        bounce_type = str(source.get("Bounce Type") or "hard").lower()
        properties["bounce_type"] = "soft" if bounce_type.startswith("soft") else "hard"
    if event.metric == "Unsubscribed":
        properties.update({"channel": "email", "source": "esp"})
    return properties


def raw_row(
    event: EspEvent, destination: str, contact_id: str | None, landed_at: datetime
) -> tuple[object, ...]:
    """A raw.events row; an event whose profile matches no contact keeps the ESP's profile
    as its anonymous_id (kept and countable, not dropped)."""
    return (
        message_id(destination, event.event_id),
        RAW_EVENT_NAMES[event.metric],
        contact_id,
        None if contact_id else f"{destination}:{event.profile_id}",
        event.occurred_at,
        landed_at,
        json.dumps(feedback_properties(event, destination), default=str),
        json.dumps({"channel": "email"}),
    )
