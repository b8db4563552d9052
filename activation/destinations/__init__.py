"""Destinations: one module per ESP behind ``base.Destination``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ConfigurationError
from ..settings import DestinationSettings
from .base import Destination
from .registry import DESTINATIONS

if TYPE_CHECKING:
    from ..declarations import NudgeSync


def build_destination(settings: DestinationSettings, sync: NudgeSync | None = None) -> Destination:
    """The destination client for ``settings.destination``, with the declaration's
    destination block (``mailchimp: {audience_id: …}``, …) when ``sync`` is given."""
    name = settings.destination
    if name == "klaviyo":
        from .klaviyo import KlaviyoDestination

        return KlaviyoDestination(settings)
    if name == "braze":
        from .braze import DEFAULT_MEMBERSHIP_ATTRIBUTE, BrazeDestination

        braze = sync.braze if sync else None
        attribute = braze.membership_attribute if braze else DEFAULT_MEMBERSHIP_ATTRIBUTE
        return BrazeDestination(settings, membership_attribute=attribute)
    if name == "mailchimp":
        from .mailchimp import MailchimpDestination

        options = sync.mailchimp if sync else None
        audience = options.audience_id if options else settings.options.audience_id
        status = options.member_status if options else "subscribed"
        return MailchimpDestination(settings, audience_id=audience, member_status=status)
    if name == "customerio":
        from .customerio import CustomerioDestination

        segment = sync.customerio.segment_id if sync and sync.customerio else None
        return CustomerioDestination(settings, segment_id=segment)
    if name == "webhook":
        from .webhook import WebhookDestination

        return WebhookDestination(settings)
    raise ConfigurationError(f"unknown destination {name!r}; known: {', '.join(DESTINATIONS)}")


__all__ = ["Destination", "build_destination"]
