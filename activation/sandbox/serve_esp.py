"""Serve a destination's sandbox in the foreground, found through its spec
(``DestinationSpec.sandbox``), with the credentials its client reads from the same
environment variables:

    python -m activation.destinations.braze.sandbox [--port 8766]
    python -m activation.destinations.mailchimp.sandbox [--port 8767]
    python -m activation.destinations.customerio.sandbox [--port 8768]
    python -m activation.destinations.webhook.sandbox [--port 8769]

(credentials: ``BRAZE_API_KEY``; ``MAILCHIMP_API_KEY`` and ``MAILCHIMP_AUDIENCE_ID``;
``CUSTOMERIO_SITE_ID`` and ``CUSTOMERIO_API_KEY``; ``NUDGE_WEBHOOK_SECRET``), then point
``BRAZE_BASE_URL`` (``MAILCHIMP_BASE_URL`` = ``http://127.0.0.1:8767/3.0``,
``CUSTOMERIO_TRACK_URL``, ``NUDGE_WEBHOOK_URL`` = ``http://127.0.0.1:8769/hooks/nudge``) at
it. Customer.io manual segments: ``CUSTOMERIO_SEGMENT_IDS`` (default ``1``); its App API
(``CUSTOMERIO_APP_URL`` = the same server) answers ``CUSTOMERIO_APP_API_KEY``. With
``NUDGE_SANDBOX_CAMPAIGNS`` (``<event name>=<campaign id>,…``, e.g. ``Nudge Welcome=101``),
the Mailchimp and Customer.io servers send each such event's email and simulate its
engagement, read back by ``nudge pull`` (``*_REPORT_CAMPAIGNS`` names the same campaigns
by trigger). The Klaviyo sandbox has its own entry with more options
(``python -m activation.destinations.klaviyo.sandbox``).
"""

from __future__ import annotations

import argparse
import sys

from ..destinations.registry import destination_settings, spec_for
from ..errors import ConfigurationError
from .framework import SandboxApp, serve


def sandbox_app(destination: str) -> SandboxApp:
    """The destination's sandbox, answering its client as the environment configures it."""
    spec = spec_for(destination)
    if spec.sandbox is None:
        raise ConfigurationError(f"destination {destination!r} has no local sandbox")
    settings = destination_settings(destination)  # the client's own checks name what is missing
    return spec.sandbox(settings)


def main(destination: str, default_port: int, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=f"python -m activation.destinations.{destination}.sandbox"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=default_port)
    args = parser.parse_args(argv)
    try:
        app = sandbox_app(destination)
    except ConfigurationError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"{destination} contract server on http://{args.host}:{args.port}", file=sys.stderr)
    serve(app, args.host, args.port)
    return 0
