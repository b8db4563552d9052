"""A local Braze contract server (see ``app``): ``start_braze(api_key)`` -> handle;
``from_settings`` serves the client's settings (``python -m
activation.destinations.braze.sandbox``)."""

from __future__ import annotations

from ....sandbox.framework import SandboxHandle
from ....settings import DestinationSettings, options_of
from ..settings import BrazeEnvOptions
from .app import BrazeApp


def from_settings(settings: DestinationSettings) -> BrazeApp:
    """The contract server the client with these settings talks to: its API key and the
    campaigns of BRAZE_TRANSACTIONAL_CAMPAIGNS."""
    campaigns = options_of(settings, BrazeEnvOptions).campaigns
    return BrazeApp(
        settings.api_key.reveal(), campaigns=tuple(campaign for _, campaign in campaigns)
    )


def start_braze(api_key: str, **options: object) -> SandboxHandle:
    """Serve a fresh ``BrazeApp`` on a free loopback port; ``handle.app`` holds its state."""
    return SandboxHandle(BrazeApp(api_key, **options))  # type: ignore[arg-type]


__all__ = ["BrazeApp", "from_settings", "start_braze"]
