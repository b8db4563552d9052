"""`nudge sandbox`: serve a destination's local sandbox on loopback, found through its spec
(activation/sandbox/serve_esp.py), after printing what to export to point its client at it.
Klaviyo's sandbox takes options of its own (a state file, the simulated engagement, the
rate-limit scale); the other destinations' take none."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from activation.destinations.klaviyo import SPEC as KLAVIYO
from activation.destinations.registry import SPECS, spec_for
from activation.errors import ConfigurationError
from activation.sandbox import framework, serve_esp
from activation.settings import DestinationSettings
from nudge.errors import UserError

HOST = "127.0.0.1"
SANDBOX_DESTINATIONS = tuple(spec.name for spec in SPECS if spec.sandbox is not None)


@dataclass(frozen=True)
class KlaviyoOptions:
    """The options only Klaviyo's sandbox takes; None (False) when not given."""

    state: Path | None = None
    engagement_seed: int | None = None
    no_engagement: bool = False
    rate_limit_scale: float | None = None

    def given(self) -> list[str]:
        """The command-line options given, as typed (``--state``)."""
        unset = KlaviyoOptions()
        return [
            "--" + field.name.replace("_", "-")
            for field in fields(self)
            if getattr(self, field.name) != getattr(unset, field.name)
        ]


def unknown_destination_problem(destination: str) -> str | None:
    """Why ``destination`` cannot be served, naming the choices; None when it can."""
    if destination in SANDBOX_DESTINATIONS:
        return None
    choices = ", ".join(SANDBOX_DESTINATIONS)
    return f"{destination!r} is not a destination with a sandbox; choose one of {choices}"


def serve_sandbox(
    console: Console, destination: str, port: int | None, klaviyo: KlaviyoOptions
) -> None:
    """Serve ``destination``'s sandbox in the foreground until interrupted."""
    spec = spec_for(destination)
    given = klaviyo.given()
    if spec is not KLAVIYO and given:
        raise UserError(
            f"{', '.join(given)}: only Klaviyo's sandbox takes "
            f"{'this option' if len(given) == 1 else 'these options'}; the {destination} "
            "sandbox takes --port alone"
        )
    port = serve_esp.sandbox_of(destination).default_port if port is None else port
    try:
        settings = serve_esp.sandbox_settings(destination, HOST, port)
        # Klaviyo's is built with its options as it is served
        app = None if spec is KLAVIYO else serve_esp.sandbox_app(destination, settings)
    except ConfigurationError as error:
        raise UserError(
            f"The {destination} sandbox accepts the credentials its client reads: {error}"
        ) from None
    console.print(
        f"{destination} sandbox on http://{HOST}:{port} (Ctrl-C stops it); point the client "
        "at it with:",
        markup=False,
        highlight=False,
    )
    for line in serve_esp.export_lines(serve_esp.client_env(destination, HOST, port)):
        console.print(f"  {escape(line)}", highlight=False, soft_wrap=True)
    if app is None:
        serve_klaviyo(settings, port, klaviyo)
    else:
        framework.serve(app, HOST, port)


def serve_klaviyo(settings: DestinationSettings, port: int, options: KlaviyoOptions) -> None:
    """Klaviyo's sandbox with its rate limits (scaled; 0: none), simulated engagement and,
    with ``options.state``, its state kept in that file."""
    from activation.destinations.klaviyo.sandbox import EngagementConfig, RateLimitConfig, serve

    scale = 1.0 if options.rate_limit_scale is None else options.rate_limit_scale
    limits = RateLimitConfig(scale=scale) if scale > 0 else RateLimitConfig(enabled=False)
    seed = options.engagement_seed or 0
    engagement = EngagementConfig(enabled=not options.no_engagement, seed=seed)
    serve(
        host=HOST,
        port=port,
        api_key=settings.api_key.reveal(),
        state_path=options.state,
        validate=True,
        rate_limits=limits,
        engagement=engagement,
    )
