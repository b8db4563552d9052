"""Run the sandbox: ``start_sandbox`` (background thread, returns a handle) and ``serve``
(blocking, for a CLI). Loopback only by default.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import SandboxApp
from .engagement import EngagementConfig
from .faults import Fault
from .jobs import ImportWorker
from .ratelimits import RateLimitConfig
from .store import Store
from .validation import openapi


class _QuietHandler(WSGIRequestHandler):
    """Skip werkzeug's per-request access log; the sandbox keeps its own request log."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class SandboxHandle:
    """A running sandbox: its URL, its state, and ``stop()``."""

    def __init__(self, server: BaseWSGIServer, app: SandboxApp, worker: ImportWorker) -> None:
        self._server = server
        self._app = app
        self._worker = worker
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() returns within 50 ms
            name="klaviyo-sandbox",
            daemon=True,
        )
        self._stopped = False

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        host_text = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{host_text}:{port}"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def _start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._worker.stop()
        self._app.store.close()

    def __enter__(self) -> SandboxHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------- inspection

    def wait_for_jobs(self, timeout: float = 30.0) -> bool:
        """Block until queued bulk import jobs are processed."""
        return self._worker.wait_idle(timeout)

    def wait_until_answered(self, timeout: float = 60.0) -> bool:
        """Block until every request received so far is answered (hung ones included, so
        a job whose POST hung past the client's timeout has been submitted)."""
        return self._app.wait_until_answered(timeout)

    def profiles(self) -> list[dict[str, Any]]:
        return self._app.store.all_profiles()

    def profile(self, email: str) -> dict[str, Any] | None:
        profile_id = self._app.store.find_profile_id("email", email)
        return self._app.store.get_profile(profile_id) if profile_id else None

    def lists(self) -> list[dict[str, Any]]:
        return self._app.store.query_lists([], 0, 1_000_000)[0]

    def list_members(self, list_name_or_id: str) -> list[dict[str, Any]]:
        """Profiles in the list with this id, or in every list with this name."""
        members: list[dict[str, Any]] = []
        for found in self._app.store.find_lists(list_name_or_id):
            members.extend(self._app.store.list_members(found["id"]))
        return members

    def events(self) -> list[dict[str, Any]]:
        return self._app.store.query_events([], 0, 10_000_000)[0]

    def requests(self) -> list[dict[str, Any]]:
        """Requests received (method, path, query, headers without Authorization, body, status)."""
        return self._app.recorded_requests()

    def clear_requests(self) -> None:
        self._app.clear_log()

    def inject_fault(
        self,
        status: int | None = 429,
        *,
        method: str | None = None,
        path: str | None = None,
        retry_after: float | None = None,
        delay: float = 0.0,
        times: int | None = 1,
        share: float = 1.0,
        drop: bool = False,
        body: str | None = None,
        content_type: str = "text/html",
    ) -> Fault:
        """Answer matching API requests with ``status`` (and ``Retry-After``), slowly, or
        not at all (``drop``), or with ``body`` as ``content_type`` (a proxy's HTML page, a
        cut-off JSON body); see ``activation.sandbox.klaviyo.faults``."""
        fault = Fault(
            status, method, path, retry_after, delay, times, share, drop, body, content_type
        )
        return self._app.faults.add(fault)

    def set_rate_limits(self, config: RateLimitConfig) -> None:
        """Replace the per-endpoint rate limits (and start fresh windows)."""
        self._app.rate_limiter.configure(config)

    def set_engagement(self, config: EngagementConfig | None) -> None:
        """Simulate engagement for sends tracked from now on (None: none)."""
        self._app.engagement = config

    def deletions(self) -> list[dict[str, Any]]:
        """Data-privacy deletion requests received, with the profile id each deleted."""
        return list(self._app.deletions)

    def clear_faults(self) -> None:
        self._app.faults.clear()

    def state(self) -> dict[str, Any]:
        return self._app.state()

    def suppress(self, email: str, reason: str = "UNSUBSCRIBE", at: datetime | None = None) -> None:
        """Suppress a profile as if it unsubscribed, bounced or complained in Klaviyo
        (``reason``: UNSUBSCRIBE, HARD_BOUNCE, SPAM_COMPLAINT, INVALID_EMAIL,
        USER_SUPPRESSED); the read-back finds it with the suppression timestamp filter."""
        profile_id = self._app.store.find_profile_id("email", email)
        if profile_id is None:
            raise KeyError(email)
        self._app.store.suppress_profile(profile_id, reason, at)

    def reset(self) -> None:
        response = requests.post(f"{self.base_url}/_sandbox/reset", timeout=30)
        response.raise_for_status()

    def set_email_consent(self, email: str, consent: str = "SUBSCRIBED") -> None:
        """Give a profile an email marketing consent state (as a subscribe call would)."""
        profile_id = self._app.store.find_profile_id("email", email)
        if profile_id is None:
            raise KeyError(email)
        self._app.store.set_subscriptions(
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


def _build(
    host: str,
    port: int,
    api_key: str,
    state_path: str | Path | None,
    validate: bool,
    import_delay: float,
    rate_limits: RateLimitConfig | None = None,
    engagement: EngagementConfig | None = None,
) -> tuple[BaseWSGIServer, SandboxApp, ImportWorker]:
    if validate:
        openapi()  # parse the spec before serving, not during the first request
    store = Store(state_path)
    worker = ImportWorker(store, delay=import_delay)
    app = SandboxApp(
        store, worker, api_key, validate=validate, rate_limits=rate_limits, engagement=engagement
    )
    server = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
    worker.start()
    return server, app, worker


def start_sandbox(
    api_key: str,
    port: int = 0,
    state_path: str | Path | None = None,
    validate: bool = True,
    *,
    host: str = "127.0.0.1",
    import_delay: float = 0.0,
    rate_limits: RateLimitConfig | None = None,
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
    server, app, worker = _build(
        host, port, api_key, state_path, validate, import_delay, rate_limits, engagement
    )
    handle = SandboxHandle(server, app, worker)
    handle._start()
    return handle


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    api_key: str = "",
    state_path: str | Path | None = None,
    validate: bool = True,
    *,
    rate_limits: RateLimitConfig | None = None,
    engagement: EngagementConfig | None = None,
) -> None:
    """Serve the sandbox in the foreground until interrupted (with simulated engagement,
    seed 0, unless ``engagement`` says otherwise)."""
    engagement = EngagementConfig() if engagement is None else engagement
    server, app, worker = _build(
        host, port, api_key, state_path, validate, 0.0, rate_limits, engagement
    )
    try:
        server.serve_forever()
    finally:
        server.server_close()
        worker.stop()
        app.store.close()
