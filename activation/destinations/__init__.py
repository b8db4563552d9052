"""Destinations: one module per ESP behind ``base.Destination``."""

from __future__ import annotations

from ..errors import ConfigurationError
from ..settings import DestinationSettings
from .base import Destination


def build_destination(settings: DestinationSettings) -> Destination:
    """The destination client for ``settings.destination``."""
    if settings.destination == "klaviyo":
        from .klaviyo import KlaviyoDestination

        return KlaviyoDestination(settings)
    raise ConfigurationError(f"unknown destination {settings.destination!r}; known: klaviyo")


__all__ = ["Destination", "build_destination"]
