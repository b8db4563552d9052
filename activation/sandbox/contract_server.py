"""What the contract servers of Braze, Mailchimp, Customer.io and the webhook receiver share:
a werkzeug app with routing, a request log (never the Authorization header), injected faults,
fixed-window rate limits, body size caps, and a runner on a free loopback port.

Each server builds its app from ``ContractApp``: a route map whose endpoints name ``on_<x>``
methods, an ``authenticate`` check, and its own state, so a test can compare what the
server holds with the warehouse audience.
"""

from __future__ import annotations

import json
import math
import random
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

LOGGED_HEADERS = ("Content-Type", "Accept", "User-Agent")


class Refused(Exception):
    """Answer the request with ``response`` (an error the vendor would send)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def json_response(
    status: int,
    payload: Any,
    mimetype: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Response:
    body = "" if payload is None else json.dumps(payload)
    return Response(body, status=status, mimetype=mimetype, headers=headers)


@dataclass
class Fault:
    """Answer matching requests with ``status`` (and ``headers``, e.g. Retry-After) instead
    of handling them; ``path`` is a regex searched in the path; ``times`` None: forever;
    ``share``: the chance a matching request is hit. With ``body`` the answer is that text as
    ``content_type`` (a proxy's HTML page, a cut-off JSON body), whatever the status."""

    status: int
    method: str | None = None
    path: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = 1
    share: float = 1.0
    body: str | None = None
    content_type: str = "text/html"

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or re.search(self.path, path) is not None


class FixedWindow:
    """At most ``limit`` requests per ``seconds``, counted in fixed windows (as vendors do)."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self._start = 0.0
        self._count = 0
        self._lock = threading.Lock()

    def hit(self) -> tuple[bool, int, float]:
        """(allowed, remaining, window reset as epoch seconds) for one more request."""
        with self._lock:
            now = time.time()
            if now >= self._start + self.seconds:
                self._start = now - (now % self.seconds) if self.seconds >= 1 else now
                self._count = 0
            allowed = self._count < self.limit
            if allowed:
                self._count += 1
            return allowed, self.limit - self._count, self._start + self.seconds


class ContractApp:
    """Base WSGI app; subclasses set ``routes`` and ``max_body_bytes`` and implement
    ``authenticate`` and ``on_<endpoint>(request, body, **args) -> Response``."""

    routes: Map
    max_body_bytes = 4 * 1024 * 1024
    error_mimetype = "application/json"

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._log: deque[dict[str, Any]] = deque(maxlen=50_000)
        self._seq = 0
        self._faults: list[Fault] = []
        self.fault_random = random.Random(0)  # reseed for another sequence

    # ------------------------------------------------------------- overridable

    def authenticate(self, request: Request) -> None:
        """Raise ``Refused`` when the credentials are wrong."""

    def throttle(self, request: Request, endpoint: str) -> Response | None:
        """A 429 when over the endpoint's rate limit (None: go on)."""
        return None

    def error(self, status: int, detail: str) -> Response:
        """The vendor's error body for a generic failure."""
        return json_response(status, {"message": detail}, self.error_mimetype)

    # --------------------------------------------------------------- dispatch

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        arrived = time.time()
        body: Any = None
        try:
            endpoint, args = self.routes.bind_to_environ(environ).match()
            self.authenticate(request)
            limited = self.throttle(request, endpoint)
            if limited is not None:
                raise Refused(limited)
            self._fault(request)
            body = self._body(request)
            response = getattr(self, f"on_{endpoint}")(request, body, **args)
        except Refused as refused:
            response = refused.response
        except NotFound:
            response = self.error(404, f"no route for {request.path}")
        except MethodNotAllowed:
            response = self.error(405, f"{request.method} is not allowed on {request.path}")
        self._record(request, arrived, body, response)
        return response(environ, start_response)

    def _fault(self, request: Request) -> None:
        """Raise the injected fault this request hits, if any."""
        with self.lock:
            for fault in self._faults:
                if not fault.matches(request.method, request.path):
                    continue
                if fault.share >= 1.0 or self.fault_random.random() < fault.share:
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    response = (
                        self.error(fault.status, "injected fault")
                        if fault.body is None
                        else Response(fault.body, fault.status, content_type=fault.content_type)
                    )
                    response.headers.update(fault.headers)
                    raise Refused(response)

    def _body(self, request: Request) -> Any:
        if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
            return None
        raw = request.get_data(cache=True)
        if len(raw) > self.max_body_bytes:
            raise Refused(self.error(413, f"the body exceeds {self.max_body_bytes} bytes"))
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise Refused(self.error(400, f"the body is not valid JSON: {exc}")) from None

    # ------------------------------------------------------------- request log

    def _record(self, request: Request, arrived: float, body: Any, response: Response) -> None:
        if body is None and request.method in ("POST", "PUT", "PATCH", "DELETE"):
            body = request.get_data(cache=True, as_text=True)[:2000] or None
        entry = {
            "time": arrived,
            "method": request.method,
            "path": request.path,
            "args": {key: request.args.getlist(key) for key in request.args},
            "headers": {
                name: request.headers[name] for name in LOGGED_HEADERS if name in request.headers
            },
            "body": body,
            "status": response.status_code,
        }
        with self.lock:
            self._seq += 1
            entry["seq"] = self._seq
            self._log.append(entry)

    def requests(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(entry) for entry in self._log]

    def clear_requests(self) -> None:
        with self.lock:
            self._log.clear()

    def inject_fault(self, fault: Fault) -> None:
        with self.lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class ServerHandle:
    """A contract server running in a background thread: ``base_url``, ``app``, ``stop()``."""

    def __init__(self, app: ContractApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
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

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def requests(self) -> list[dict[str, Any]]:
        return self.app.requests()

    def writes(self) -> list[dict[str, Any]]:
        return [entry for entry in self.app.requests() if entry["method"] != "GET"]

    def clear_requests(self) -> None:
        self.app.clear_requests()

    def inject_fault(
        self,
        status: int = 429,
        *,
        method: str | None = None,
        path: str | None = None,
        retry_after: float | None = None,
        times: int | None = 1,
        share: float = 1.0,
        body: str | None = None,
        content_type: str = "text/html",
    ) -> None:
        headers = {} if retry_after is None else {"Retry-After": str(math.ceil(retry_after))}
        fault = Fault(status, method, path, headers, times, share, body, content_type)
        self.app.inject_fault(fault)


def serve(app: ContractApp, host: str, port: int) -> None:
    """Serve ``app`` in the foreground until interrupted."""
    server = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
    try:
        server.serve_forever()
    finally:
        server.server_close()
