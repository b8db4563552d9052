"""Serve one contract server in the foreground, with the credentials the destination's
client reads from the same environment variables:

    python -m activation.sandbox.braze [--port 8766]       # BRAZE_API_KEY
    python -m activation.sandbox.mailchimp [--port 8767]   # MAILCHIMP_API_KEY, _AUDIENCE_ID
    python -m activation.sandbox.customerio [--port 8768]  # CUSTOMERIO_SITE_ID, CUSTOMERIO_API_KEY
    python -m activation.sandbox.webhook [--port 8769]     # NUDGE_WEBHOOK_SECRET

then point ``BRAZE_BASE_URL`` (``MAILCHIMP_BASE_URL`` = ``http://127.0.0.1:8767/3.0``,
``CUSTOMERIO_TRACK_URL``, ``NUDGE_WEBHOOK_URL`` = ``http://127.0.0.1:8769/hooks/nudge``) at
it. Customer.io manual segments: ``CUSTOMERIO_SEGMENT_IDS`` (default ``1``); its App API
(``CUSTOMERIO_APP_URL`` = the same server) answers ``CUSTOMERIO_APP_API_KEY``. With
``NUDGE_SANDBOX_CAMPAIGNS`` (``<event name>=<campaign id>,…``, e.g. ``Nudge Welcome=101``),
the Mailchimp and Customer.io servers send each such event's email and simulate its
engagement, read back by ``nudge pull`` (``*_REPORT_CAMPAIGNS`` names the same campaigns
by trigger).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

from ..destinations.registry import destination_settings
from ..errors import ConfigurationError
from ..settings import DestinationSettings, options_of, parse_pairs
from .framework import SandboxApp, serve
from .klaviyo.engagement import EngagementConfig

DEFAULT_PORTS = {"braze": 8766, "mailchimp": 8767, "customerio": 8768, "webhook": 8769}


def _app(destination: str) -> SandboxApp:
    settings = destination_settings(destination)  # the client's own checks name what is missing
    builders: dict[str, Callable[[DestinationSettings], SandboxApp]] = {
        "braze": _braze,
        "mailchimp": _mailchimp,
        "customerio": _customerio,
        "webhook": _webhook,
    }
    return builders[destination](settings)


def _braze(settings: DestinationSettings) -> SandboxApp:
    from ..destinations.braze.settings import BrazeEnvOptions
    from .braze import BrazeApp

    campaigns = options_of(settings, BrazeEnvOptions).campaigns
    return BrazeApp(
        settings.api_key.reveal(), campaigns=tuple(campaign for _, campaign in campaigns)
    )


def _campaigns() -> dict[str, str]:
    """Event name -> campaign id of ``NUDGE_SANDBOX_CAMPAIGNS``."""
    variable = "NUDGE_SANDBOX_CAMPAIGNS"
    return dict(
        parse_pairs(os.environ.get(variable, ""), variable, "<event name>", "Nudge Welcome=101")
    )


def _engagement(campaigns: dict[str, Any]) -> EngagementConfig | None:
    return EngagementConfig() if campaigns else None


def _mailchimp(settings: DestinationSettings) -> SandboxApp:
    from ..destinations.mailchimp.settings import MailchimpEnvOptions
    from .mailchimp import MailchimpApp

    audience = options_of(settings, MailchimpEnvOptions).audience_id or "aud0001"
    campaigns = _campaigns()
    return MailchimpApp(
        settings.api_key.reveal(),
        audiences=(audience,),
        campaigns=campaigns,
        engagement=_engagement(campaigns),
    )


def _customerio(settings: DestinationSettings) -> SandboxApp:
    from ..destinations.customerio.settings import CustomerioEnvOptions
    from .customerio import CustomerioApp

    options = options_of(settings, CustomerioEnvOptions)
    segments = os.environ.get("CUSTOMERIO_SEGMENT_IDS", "1")
    try:
        campaigns = {name: int(campaign) for name, campaign in _campaigns().items()}
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
        engagement=_engagement(campaigns),
    )


def _webhook(settings: DestinationSettings) -> SandboxApp:
    from .webhook import WebhookReceiverApp

    return WebhookReceiverApp(settings.api_key.reveal())


def main(destination: str, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m activation.sandbox.{destination}")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORTS[destination])
    args = parser.parse_args(argv)
    try:
        app = _app(destination)
    except ConfigurationError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"{destination} contract server on http://{args.host}:{args.port}", file=sys.stderr)
    serve(app, args.host, args.port)
    return 0
