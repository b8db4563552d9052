"""Running a sandbox: ``SandboxHandle(app)`` serves it in a background thread on a free
loopback port (``base_url``, ``stop()``, a context manager) and steers it as a test needs;
``serve(app, host, port)`` serves it in the foreground for a CLI."""

from __future__ import annotations

import threading
from typing import Any, Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import SandboxApp
from .faults import Fault
from .rate_limits import RateLimitConfig


class _QuietHandler(WSGIRequestHandler):
    """Skip werkzeug's per-request access log; the sandbox keeps its own request log."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


def _server(app: SandboxApp, host: str, port: int) -> BaseWSGIServer:
    return make_server(host, port, app, threaded=True, request_handler=_QuietHandler)


class SandboxHandle:
    """A sandbox running in a background thread: ``base_url``, ``app``, ``stop()``."""

    def __init__(self, app: SandboxApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._server = _server(app, host, port)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() returns within 50 ms
            name=type(app).__name__,
            daemon=True,
        )
        self._thread.start()
        self._stopped = False

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        host_text = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{host_text}:{port}"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self.app.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ request log

    def requests(self) -> list[dict[str, Any]]:
        """Requests received (see ``request_log``), oldest first."""
        return self.app.log.entries()

    def writes(self) -> list[dict[str, Any]]:
        return [entry for entry in self.requests() if entry["method"] != "GET"]

    def clear_requests(self) -> None:
        self.app.log.clear()

    def wait_until_answered(self, timeout: float = 60.0) -> bool:
        """Block until every request received so far is answered (hung ones included)."""
        return self.app.wait_until_answered(timeout)

    # --------------------------------------------------------- faults, limits

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
        """Answer matching requests with ``status`` (and ``Retry-After``), slowly, or not at
        all (``drop``), or with ``body`` as ``content_type``; see ``faults``."""
        fault = Fault(
            status, method, path, retry_after, delay, times, share, drop, body, content_type
        )
        return self.app.faults.add(fault)

    def clear_faults(self) -> None:
        self.app.faults.clear()

    def set_rate_limits(self, config: RateLimitConfig) -> None:
        """Replace the rate limits (and start fresh windows)."""
        self.app.rate_limiter.configure(config)


def serve(app: SandboxApp, host: str, port: int) -> None:
    """Serve ``app`` in the foreground until interrupted."""
    server = _server(app, host, port)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        app.close()
