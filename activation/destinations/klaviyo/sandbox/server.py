"""Run the Klaviyo sandbox: ``start_sandbox`` (background thread, returns a handle),
``serve`` (blocking, for a CLI) and ``from_settings`` (the app for the client's settings,
its spec's sandbox). Loopback only by default. The handle is the framework's (URL, stop,
request log, faults, rate limits) with Klaviyo's state to inspect and steer.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from ....sandbox import framework
from ....settings import DestinationSettings
from .app import KlaviyoApp
from .engagement import EngagementConfig
from .jobs import ImportWorker
from .store import Store
from .validation import openapi


class SandboxHandle(framework.SandboxHandle):
    """A running Klaviyo sandbox: the framework's handle, with its profiles, lists, events
    and import jobs."""

    app: KlaviyoApp

    def wait_for_jobs(self, timeout: float = 30.0) -> bool:
        """Block until queued bulk import jobs are processed."""
        return self.app.worker.wait_idle(timeout)

    def profiles(self) -> list[dict[str, Any]]:
        return self.app.store.all_profiles()

    def profile(self, email: str) -> dict[str, Any] | None:
        profile_id = self.app.store.find_profile_id("email", email)
        return self.app.store.get_profile(profile_id) if profile_id else None

    def lists(self) -> list[dict[str, Any]]:
        return self.app.store.query_lists([], 0, 1_000_000)[0]

    def list_members(self, list_name_or_id: str) -> list[dict[str, Any]]:
        """Profiles in the list with this id, or in every list with this name."""
        members: list[dict[str, Any]] = []
        for found in self.app.store.find_lists(list_name_or_id):
            members.extend(self.app.store.list_members(found["id"]))
        return members

    def events(self) -> list[dict[str, Any]]:
        return self.app.store.query_events([], 0, 10_000_000)[0]

    def set_engagement(self, config: EngagementConfig | None) -> None:
        """Simulate engagement for sends tracked from now on (None: none)."""
        self.app.engagement = config

    def deletions(self) -> list[dict[str, Any]]:
        """Data-privacy deletion requests received, with the profile id each deleted."""
        return list(self.app.deletions)

    def state(self) -> dict[str, Any]:
        return self.app.state()

    def suppress(self, email: str, reason: str = "UNSUBSCRIBE", at: datetime | None = None) -> None:
        """Suppress a profile as if it unsubscribed, bounced or complained in Klaviyo
        (``reason``: UNSUBSCRIBE, HARD_BOUNCE, SPAM_COMPLAINT, INVALID_EMAIL,
        USER_SUPPRESSED); the read-back finds it with the suppression timestamp filter."""
        profile_id = self.app.store.find_profile_id("email", email)
        if profile_id is None:
            raise KeyError(email)
        self.app.store.suppress_profile(profile_id, reason, at)

    def reset(self) -> None:
        response = requests.post(f"{self.base_url}/_sandbox/reset", timeout=30)
        response.raise_for_status()

    def set_email_consent(self, email: str, consent: str = "SUBSCRIBED") -> None:
        """Give a profile an email marketing consent state (as a subscribe call would)."""
        profile_id = self.app.store.find_profile_id("email", email)
        if profile_id is None:
            raise KeyError(email)
        self.app.store.set_subscriptions(
            profile_id,
            {
                "email": {
                    "marketing": {
                        "can_receive_email_marketing": consent == "SUBSCRIBED",
                        "consent": consent,
                    }
                }
            },
        )


def _app(
    api_key: str,
    state_path: str | Path | None,
    validate: bool,
    import_delay: float,
    rate_limits: framework.RateLimitConfig | None,
    engagement: EngagementConfig | None,
) -> KlaviyoApp:
    if validate:
        openapi()  # parse the spec before serving, not during the first request
    store = Store(state_path)
    worker = ImportWorker(store, delay=import_delay)
    app = KlaviyoApp(
        store, worker, api_key, validate=validate, rate_limits=rate_limits, engagement=engagement
    )
    worker.start()
    return app


def start_sandbox(
    api_key: str,
    port: int = 0,
    state_path: str | Path | None = None,
    validate: bool = True,
    *,
    host: str = "127.0.0.1",
    import_delay: float = 0.0,
    rate_limits: framework.RateLimitConfig | None = None,
    engagement: EngagementConfig | None = None,
) -> SandboxHandle:
    """Start the Klaviyo sandbox on ``host:port`` (0 = a free port) in a background thread.

    ``state_path``: SQLite file keeping profiles, lists, events and jobs across restarts
    (in memory when None). ``validate``: check request bodies and parameters against the
    official OpenAPI spec. ``import_delay``: seconds a bulk import job stays queued.
    ``rate_limits``: per-endpoint limits (default: Klaviyo's documented ones, from the spec;
    ``RateLimitConfig(enabled=False)`` for none). ``engagement``: simulate deliveries,
    opens, clicks, bounces, unsubscribes and spam complaints for tracked events (default:
    none here; ``serve`` turns it on).
    """
    app = _app(api_key, state_path, validate, import_delay, rate_limits, engagement)
    return SandboxHandle(app, host, port)


def from_settings(settings: DestinationSettings) -> KlaviyoApp:
    """The sandbox the client with these settings talks to, as ``serve`` serves it: its API
    key, OpenAPI validation, Klaviyo's rate limits and simulated engagement (seed 0)."""
    return _app(settings.api_key.reveal(), None, True, 0.0, None, EngagementConfig())


def serve(
    host: str,
    port: int,  # the callers default to its spec's sandbox.default_port
    api_key: str,
    state_path: str | Path | None = None,
    validate: bool = True,
    *,
    rate_limits: framework.RateLimitConfig | None = None,
    engagement: EngagementConfig | None = None,
) -> None:
    """Serve the sandbox in the foreground until interrupted (with simulated engagement,
    seed 0, unless ``engagement`` says otherwise)."""
    engagement = EngagementConfig() if engagement is None else engagement
    framework.serve(_app(api_key, state_path, validate, 0.0, rate_limits, engagement), host, port)
