"""A local Mailchimp contract server (see ``app``): ``start_mailchimp(api_key)`` -> handle;
its base URL ends in ``/3.0`` like ``https://<dc>.api.mailchimp.com/3.0``;
``from_settings`` serves the client's settings (``python -m
activation.destinations.mailchimp.sandbox``)."""

from __future__ import annotations

from ....sandbox.framework import SandboxHandle
from ....sandbox.framework.campaigns import campaigns_from_env, engagement_for
from ....settings import DestinationSettings, options_of
from ..settings import MailchimpEnvOptions
from .app import MailchimpApp


def from_settings(settings: DestinationSettings) -> MailchimpApp:
    """The contract server the client with these settings talks to: its API key and
    audience, sending the campaigns of NUDGE_SANDBOX_CAMPAIGNS."""
    audience = options_of(settings, MailchimpEnvOptions).audience_id or "aud0001"
    campaigns = campaigns_from_env()
    return MailchimpApp(
        settings.api_key.reveal(),
        audiences=(audience,),
        campaigns=campaigns,
        engagement=engagement_for(campaigns),
    )


def start_mailchimp(api_key: str, **options: object) -> SandboxHandle:
    return SandboxHandle(MailchimpApp(api_key, **options))  # type: ignore[arg-type]


__all__ = ["MailchimpApp", "from_settings", "start_mailchimp"]
