"""Serve a destination's sandbox in the foreground, found through its spec
(``DestinationSpec.sandbox``), with the credentials its client reads from the same
environment variables:

    nudge sandbox --destination <name> [--port N]
    python -m activation.destinations.<name>.sandbox [--port N]

(credentials: ``KLAVIYO_API_KEY``; ``BRAZE_API_KEY``; ``MAILCHIMP_API_KEY`` and
``MAILCHIMP_AUDIENCE_ID``; ``CUSTOMERIO_SITE_ID`` and ``CUSTOMERIO_API_KEY``;
``NUDGE_WEBHOOK_SECRET``). Each has its own default port, set in its spec alone
(``sandbox.default_port``), and both print what to export to point the client at it (the
spec's ``sandbox.client_env``: ``KLAVIYO_BASE_URL``, ``BRAZE_BASE_URL``,
``MAILCHIMP_BASE_URL`` = ``<sandbox URL>/3.0``, ``CUSTOMERIO_TRACK_URL`` and
``CUSTOMERIO_APP_URL``, ``NUDGE_WEBHOOK_URL`` = ``<sandbox URL>/hooks/nudge``); those need
not be set before it starts. Customer.io manual segments: ``CUSTOMERIO_SEGMENT_IDS``
(default ``1``); its App API answers ``CUSTOMERIO_APP_API_KEY``. With ``NUDGE_SANDBOX_CAMPAIGNS``
(``<event name>=<campaign id>,…``, e.g. ``Nudge Welcome=101``), the Mailchimp and
Customer.io servers send each such event's email and simulate its engagement, read back by
``nudge pull`` (``*_REPORT_CAMPAIGNS`` names the same campaigns by trigger). The Klaviyo
sandbox has its own entry with more options
(``python -m activation.destinations.klaviyo.sandbox``; ``nudge sandbox`` without
``--destination``).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Mapping

from ..destinations.registry import destination_settings, spec_for
from ..destinations.spec import SandboxSpec
from ..errors import ConfigurationError
from ..settings import DestinationSettings
from .framework import SandboxApp, serve


def sandbox_of(destination: str) -> SandboxSpec:
    spec = spec_for(destination)
    if spec.sandbox is None:
        raise ConfigurationError(f"destination {destination!r} has no local sandbox")
    return spec.sandbox


def client_env(destination: str, host: str, port: int) -> dict[str, str]:
    """What to export so the destination's client talks to its sandbox on ``host:port``."""
    return dict(sandbox_of(destination).client_env(f"http://{host}:{port}"))


def export_lines(env: Mapping[str, str]) -> list[str]:
    return [f"export {variable}={shlex.quote(value)}" for variable, value in env.items()]


def sandbox_settings(destination: str, host: str, port: int) -> DestinationSettings:
    """The settings of the client pointed at the sandbox on ``host:port``: the environment's
    credentials, with the sandbox's URLs (so they need not be exported first)."""
    env = {**os.environ, **client_env(destination, host, port)}
    return destination_settings(destination, env)


def sandbox_app(destination: str, settings: DestinationSettings | None = None) -> SandboxApp:
    """The destination's sandbox, answering its client with ``settings`` (default: as the
    environment configures it; the client's own checks name what is missing)."""
    sandbox = sandbox_of(destination)
    return sandbox.app(destination_settings(destination) if settings is None else settings)


def main(destination: str, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=f"python -m activation.destinations.{destination}.sandbox"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=sandbox_of(destination).default_port)
    args = parser.parse_args(argv)
    try:
        app = sandbox_app(destination, sandbox_settings(destination, args.host, args.port))
    except ConfigurationError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"{destination} contract server on http://{args.host}:{args.port}", file=sys.stderr)
    for line in export_lines(client_env(destination, args.host, args.port)):
        print(line, file=sys.stderr)
    serve(app, args.host, args.port)
    return 0
