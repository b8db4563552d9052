"""One engagement event as every ESP reader hands it to the pull: already in the raw
contract's terms (docs/contracts/raw_events.md), so the pull, its idempotence and its raw
rows are the same whichever ESP it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

DELIVERED = "Email Delivered"
OPENED = "Email Opened"
CLICKED = "Email Link Clicked"
BOUNCED = "Email Bounced"
UNSUBSCRIBED = "Unsubscribed"
COMPLAINED = "Email Marked as Spam"
FEEDBACK_EVENTS = (DELIVERED, OPENED, CLICKED, BOUNCED, UNSUBSCRIBED, COMPLAINED)
# what identifies the send a feedback event answers (activation/sends/events.py)
SEND_PROPERTIES = ("send_key", "trigger_key", "step", "variant", "series_id")


@dataclass(frozen=True)
class EspEvent:
    """``event_id``: the ESP's own id of this event, the same on every read (the raw row's
    message_id is its hash). ``properties``: the feedback properties the ESP gives (those of
    SEND_PROPERTIES it echoes, ``link_url``, ``bounce_type``, ``email_id``, ``esp_metric``).
    ``sent_at``: when the ESP sent the email, where it says (an ESP that names no send_key
    gets its event attributed to the contact's send of ``trigger_key`` just before)."""

    event_id: str
    event: str  # one of FEEDBACK_EVENTS
    occurred_at: datetime  # naive UTC
    profile_id: str  # the ESP's id of the person
    email: str | None
    external_id: str | None  # our contact_id, when the ESP knows it
    properties: dict[str, Any] = field(default_factory=dict)
    sent_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.event not in FEEDBACK_EVENTS:
            raise ValueError(f"{self.event!r} is not an ESP feedback event: {FEEDBACK_EVENTS}")
