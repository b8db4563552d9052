"""Customer.io engagement, read through the App API (``CUSTOMERIO_APP_URL``, Bearer
``CUSTOMERIO_APP_API_KEY``; the Track API cannot read): ``GET /v1/messages?type=email``
lists each email with the time of each of its metrics (delivered, opened, clicked, bounced,
spammed, unsubscribed) and the person it went to (``customer_id``: our contact_id, as the
sends identify people). Each metric of a message is one engagement event.

The list filters on when a message was created (``start_ts`` / ``end_ts``, Unix seconds),
not on when it was opened, so a pull re-reads the messages created ``ENGAGEMENT_HORIZON``
before its window (the pull lands each event once): an open later than that after its send
is not read. A message names its campaign, not the send: ``CUSTOMERIO_REPORT_CAMPAIGNS``
maps each trigger to its campaign, and the pull attributes the email to the contact's send
of that trigger just before the message was created (activation/engagement/attribution.py).
The App API allows 10 requests a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from ...engagement.events import (
    BOUNCED,
    CLICKED,
    COMPLAINED,
    DELIVERED,
    OPENED,
    UNSUBSCRIBED,
    EspEvent,
)
from ...settings import DestinationSettings, options_of
from ..responses import json_body
from .app_api import app_api_client
from .settings import CustomerioEnvOptions

MESSAGES_PATH = "/v1/messages"
PAGE_SIZE = 100
ENGAGEMENT_HORIZON = timedelta(days=7)
# a message's metrics (Customer.io's names) as raw feedback events
METRICS = {
    "delivered": DELIVERED,
    "opened": OPENED,
    "clicked": CLICKED,
    "bounced": BOUNCED,  # Customer.io retries soft bounces; "bounced" is a hard one
    "spammed": COMPLAINED,
    "unsubscribed": UNSUBSCRIBED,
}


def _unix(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp())


def _moment(seconds: Any) -> datetime:
    return datetime.fromtimestamp(int(seconds), UTC).replace(tzinfo=None)


class CustomerioEngagement:
    """The engagement reader of a Customer.io workspace (activation/engagement/readers.py)."""

    def __init__(
        self, settings: DestinationSettings, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.settings, self.client = app_api_client(settings, "engagement is", sleep=sleep)
        self.triggers = {
            campaign: trigger
            for trigger, campaign in options_of(settings, CustomerioEnvOptions).report_campaigns
        }

    def close(self) -> None:
        self.client.close()

    def read(self, since: datetime | None, until: datetime) -> Iterator[EspEvent]:
        params = {"type": "email", "limit": str(PAGE_SIZE), "end_ts": str(_unix(until) + 1)}
        if since is not None:
            params["start_ts"] = str(_unix(since - ENGAGEMENT_HORIZON))
        while True:
            response = self.client.request("GET", MESSAGES_PATH, params=params)
            page = json_body(response, "customerio", secrets=self.settings.secrets)
            for message in page.get("messages") or []:
                yield from self._events(message, until)
            cursor = page.get("next")
            if not cursor:
                return
            params = {**params, "start": str(cursor)}

    def _events(self, message: dict[str, Any], until: datetime) -> Iterator[EspEvent]:
        identifiers = message.get("customer_identifiers") or {}
        customer_id = message.get("customer_id") or identifiers.get("id")
        campaign = message.get("campaign_id")
        created = _moment(message["created"]) if message.get("created") else None
        for metric, event in METRICS.items():
            stamp = (message.get("metrics") or {}).get(metric)
            if stamp is None or _moment(stamp) >= until:
                continue
            properties: dict[str, Any] = {
                "email_id": str(message["id"]),
                "esp_metric": metric,
                "trigger_key": self.triggers.get(str(campaign)) if campaign is not None else None,
            }
            if event == BOUNCED:
                properties["bounce_type"] = "hard"
            yield EspEvent(
                event_id=f"{message['id']}:{metric}",
                event=event,
                occurred_at=_moment(stamp),
                profile_id=str(identifiers.get("cio_id") or customer_id),
                email=identifiers.get("email") or message.get("recipient"),
                external_id=None if customer_id is None else str(customer_id),
                properties=properties,
                sent_at=created,
            )
