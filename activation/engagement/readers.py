"""Which reader pulls a destination's engagement, and what to do where none can.

Klaviyo (``GET /api/events``), Customer.io (the App API's ``GET /v1/messages``) and
Mailchimp (``GET /reports/{campaign}/email-activity``) are read; Braze lets engagement out
only as a stream (Currents) and the webhook is ours to feed, so ``nudge pull`` refuses them
and says what to connect instead (README, Measurement)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from importlib import import_module
from typing import Protocol, cast

from ..errors import ConfigurationError
from ..http import ApiClient
from ..settings import DestinationSettings
from .events import EspEvent


class EngagementReader(Protocol):
    client: ApiClient  # its stats count the pull's API calls

    def read(self, since: datetime | None, until: datetime) -> Iterator[EspEvent]:
        """Every engagement event stamped before ``until`` and not before ``since`` (None:
        from the beginning); an ESP that cannot filter so finely may return earlier ones
        too (the pull lands each event once)."""
        ...

    def close(self) -> None: ...


# each reader lives with its destination and imports the events module of this package, so
# it is imported when it is needed rather than when this package is
READERS = {
    "klaviyo": ("activation.engagement.klaviyo_events", "KlaviyoEngagement"),
    "customerio": ("activation.destinations.customerio_engagement", "CustomerioEngagement"),
    "mailchimp": ("activation.destinations.mailchimp_engagement", "MailchimpEngagement"),
}
ENGAGEMENT_DESTINATIONS = frozenset(READERS)
NO_PULL = {
    "braze": (
        "Braze has no API to read message engagement back: it streams it out through "
        "Currents. Connect a Currents export to your warehouse and land its "
        "users.messages.email.* events (Delivery, Open, Click, Bounce, SoftBounce, "
        "MarkAsSpam, Unsubscribe) in raw.events as the raw contract's ESP feedback events, "
        "with the send_key Nudge sends as the campaign's trigger property (README, "
        "Measurement). There is nothing for `nudge pull` to read from Braze."
    ),
    "webhook": (
        "the webhook destination hands the sends to your own sender, so the engagement is "
        "your sender's: land its deliveries, opens, clicks, bounces and complaints in "
        "raw.events as the raw contract's ESP feedback events, with the send_key of each "
        "batch row (README, Measurement). There is nothing for `nudge pull` to read."
    ),
}


def engagement_reader(settings: DestinationSettings) -> EngagementReader:
    found = READERS.get(settings.destination)
    if found is None:
        why = NO_PULL.get(settings.destination, "it has no engagement reader")
        raise ConfigurationError(f"no engagement pull for {settings.destination}: {why}")
    module, name = found
    return cast(EngagementReader, getattr(import_module(module), name)(settings))
