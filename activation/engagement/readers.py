"""The engagement reader of a destination, as its spec gives it, and what to do where none
can read: Klaviyo (``GET /api/events``), Customer.io (the App API's ``GET /v1/messages``) and
Mailchimp (``GET /reports/{campaign}/email-activity``) are read; for the others (Braze lets
engagement out only as a stream, the webhook is ours to feed) ``nudge pull`` refuses and says
what to connect instead (README, Measurement)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

from ..destinations.registry import SPECS_BY_NAME
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


def engagement_reader(settings: DestinationSettings) -> EngagementReader:
    spec = SPECS_BY_NAME.get(settings.destination)
    if spec is None or spec.engagement_reader is None:
        why = (spec and spec.no_engagement) or "it has no engagement reader"
        raise ConfigurationError(f"no engagement pull for {settings.destination}: {why}")
    return spec.engagement_reader(settings)
