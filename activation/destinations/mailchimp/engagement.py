"""Mailchimp engagement from the email activity report of each trigger's campaign:
``GET /reports/{campaign_id}/email-activity`` lists, per recipient, each open, click (with
its URL) and bounce (hard or soft) with its time; ``since`` keeps those from the window's
start. ``MAILCHIMP_REPORT_CAMPAIGNS`` names the campaign (the Customer Journey email) of
each trigger. A report names the campaign and the address, not the send: the pull
attributes each activity to the contact's latest send of that trigger before it
(activation/engagement/attribution.py).

Mailchimp reports no per-recipient delivery time, so no Email Delivered lands
(flow_performance counts an opened or clicked email as delivered; unopened ones are missing
from delivered), and unsubscribes and cleaned addresses come back through the suppression
read-back (member status), not here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from ...engagement.events import BOUNCED, CLICKED, OPENED, EspEvent
from ...errors import ConfigurationError
from ...settings import DestinationSettings, options_of
from ..common import naive_utc
from ..responses import json_body
from .client import MailchimpDestination
from .settings import MailchimpEnvOptions

ACTIVITY_PAGE = 1000
ACTIONS = {"open": OPENED, "click": CLICKED, "bounce": BOUNCED}


class MailchimpEngagement:
    """The engagement reader of a Mailchimp account (activation/engagement/readers.py)."""

    def __init__(
        self, settings: DestinationSettings, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        options = options_of(settings, MailchimpEnvOptions)
        if not options.report_campaigns:
            raise ConfigurationError(
                "MAILCHIMP_REPORT_CAMPAIGNS is not set. Mailchimp's engagement is read from "
                "the email activity report of the campaign that emails each trigger: export "
                "MAILCHIMP_REPORT_CAMPAIGNS=<trigger_key>=<campaign id>,... (e.g. "
                "cart_abandonment=4a1b...,welcome=9c2d...)."
            )
        self.settings = settings
        self.campaigns = options.report_campaigns
        self.destination = MailchimpDestination(
            settings, audience_id=options.audience_id, sleep=sleep
        )
        self.client = self.destination.client

    def close(self) -> None:
        self.destination.close()

    def read(self, since: datetime | None, until: datetime) -> Iterator[EspEvent]:
        for trigger_key, campaign in self.campaigns:
            yield from self._campaign(trigger_key, campaign, since, until)

    def _campaign(
        self, trigger_key: str, campaign: str, since: datetime | None, until: datetime
    ) -> Iterator[EspEvent]:
        offset = 0
        while True:
            params = {"count": str(ACTIVITY_PAGE), "offset": str(offset)}
            if since is not None:
                params["since"] = since.isoformat(timespec="seconds") + "+00:00"
            response = self.client.request(
                "GET", f"/reports/{campaign}/email-activity", params=params
            )
            page = json_body(response, "mailchimp", secrets=self.settings.secrets)
            emails = page.get("emails") or []
            for recipient in emails:
                for activity in recipient.get("activity") or []:
                    event = _event(campaign, trigger_key, recipient, activity)
                    if event is not None and event.occurred_at < until:
                        yield event
            offset += len(emails)
            if not emails or offset >= int(page.get("total_items") or 0):
                return


def _event(
    campaign: str, trigger_key: str, recipient: dict[str, Any], activity: dict[str, Any]
) -> EspEvent | None:
    action = str(activity.get("action") or "")
    if action not in ACTIONS or not activity.get("timestamp"):
        return None
    subscriber = str(recipient.get("email_id") or "")
    occurred_at = naive_utc(str(activity["timestamp"]))
    url = activity.get("url") if action == "click" else None
    properties: dict[str, Any] = {"esp_metric": action, "trigger_key": trigger_key}
    if url:
        properties["link_url"] = url
    if action == "bounce":
        properties["bounce_type"] = "soft" if activity.get("type") == "soft" else "hard"
    return EspEvent(
        # an activity has no id of its own; what it is (and when) never changes
        event_id=f"{campaign}:{subscriber}:{action}:{occurred_at.isoformat()}:{url or ''}",
        event=ACTIONS[action],
        occurred_at=occurred_at,
        profile_id=subscriber,
        email=recipient.get("email_address"),
        external_id=None,
        properties=properties,
    )
