"""A local Customer.io Track API contract server (see ``app``):
``start_customerio(site_id, api_key, segments=(12,))`` -> handle; ``from_settings`` serves
the client's settings (``python -m activation.destinations.customerio.sandbox``)."""

from __future__ import annotations

import os

from ....errors import ConfigurationError
from ....sandbox.framework import SandboxHandle
from ....sandbox.framework.campaigns import campaigns_from_env, engagement_for
from ....settings import DestinationSettings, options_of
from ..settings import CustomerioEnvOptions
from .app import CustomerioApp


def from_settings(settings: DestinationSettings) -> CustomerioApp:
    """The contract server the client with these settings talks to: its site id, API key
    and App API key, the manual segments of CUSTOMERIO_SEGMENT_IDS (default ``1``), sending
    the campaigns of NUDGE_SANDBOX_CAMPAIGNS."""
    options = options_of(settings, CustomerioEnvOptions)
    segments = os.environ.get("CUSTOMERIO_SEGMENT_IDS", "1")
    try:
        campaigns = {name: int(campaign) for name, campaign in campaigns_from_env().items()}
    except ValueError:
        raise ConfigurationError(
            "NUDGE_SANDBOX_CAMPAIGNS: Customer.io campaign ids are whole numbers"
        ) from None
    return CustomerioApp(
        options.username or "",
        settings.api_key.reveal(),
        segments=tuple(int(s) for s in segments.split(",") if s),
        app_api_key=options.app_api_key.reveal() if options.app_api_key else None,
        campaigns=campaigns,
        engagement=engagement_for(campaigns),
    )


def start_customerio(site_id: str, api_key: str, **options: object) -> SandboxHandle:
    return SandboxHandle(CustomerioApp(site_id, api_key, **options))  # type: ignore[arg-type]


__all__ = ["CustomerioApp", "from_settings", "start_customerio"]
