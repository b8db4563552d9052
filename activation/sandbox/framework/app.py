"""The WSGI app every sandbox is built from. One request goes through:

    route -> authenticate -> precheck -> body (size cap, media type, JSON) -> validation
          -> rate limit -> injected fault -> handler -> request log

A sandbox (one per ESP) subclasses ``SandboxApp`` and keeps only what is its vendor's:
``routes`` (werkzeug rules whose endpoints name ``on_<endpoint>(request, body, **args)``
methods), ``authenticate``, the ``error`` body, the rate-limit ``budgets`` and how a
``Decision`` shows in headers, and its state. ``/_sandbox/requests``, ``/_sandbox/faults``
and ``/_sandbox/rate-limits`` inspect and steer any of them over HTTP.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map
from werkzeug.wrappers import Request, Response

from .faults import Fault, FaultInjector
from .rate_limits import Budget, Decision, RateLimitConfig, RateLimiter
from .request_log import WRITE_METHODS, Note, RequestLog
from .responses import Refused, json_response

ADMIN_PREFIX = "/_sandbox/"


class SandboxApp:
    routes: Map
    max_body_bytes = 4 * 1024 * 1024
    media_type: str | None = None  # when set, write requests must be sent as it (else 415)
    logged_headers: tuple[str, ...] = ("Content-Type", "Accept", "User-Agent")
    validate = False  # whether ``validation_errors`` runs

    def __init__(
        self, *, rate_limits: RateLimitConfig | None = None, max_logged_requests: int = 50_000
    ) -> None:
        self.lock = threading.RLock()  # for the sandbox's own state
        self.log = RequestLog(self.logged_headers, max_logged_requests)
        self.faults = FaultInjector()
        self.rate_limiter = RateLimiter(self.budgets(), rate_limits)
        self._in_flight = threading.Condition()
        self._active = 0

    # ------------------------------------------------------- what an ESP says

    def authenticate(self, request: Request) -> None:
        """Raise ``Refused`` when the credentials are wrong."""

    def precheck(self, request: Request) -> None:
        """Raise ``Refused`` for a request the vendor refuses before reading its body."""

    def validation_errors(self, request: Request, body: Any) -> Response | None:
        """With ``validate``: the vendor's answer to an invalid request (None: valid)."""
        return None

    def error(self, status: int, detail: str) -> Response:
        """The vendor's error body for a generic failure."""
        return json_response(status, {"message": detail})

    def budgets(self) -> Sequence[Budget]:
        """Every rate-limit budget the server enforces."""
        return ()

    def budget_for(self, request: Request, endpoint: str) -> Budget | None:
        """The budget this request counts against (None: not rate limited)."""
        return None

    def rate_limit_headers(self, decision: Decision) -> dict[str, str]:
        """Headers the vendor adds to answers counted against a budget (429s included)."""
        return {}

    def throttled(self, decision: Decision) -> Response:
        """The vendor's answer over a rate limit."""
        seconds = decision.retry_after
        response = self.error(
            429,
            f"Request was throttled. Expected available in {seconds} second"
            f"{'' if seconds == 1 else 's'}.",
        )
        response.headers["Retry-After"] = str(seconds)
        return response

    def handle(
        self, endpoint: str, request: Request, body: Any, args: Mapping[str, Any]
    ) -> Response:
        response: Response = getattr(self, f"on_{endpoint}")(request, body, **args)
        return response

    def logged_details(self, response: Response) -> dict[str, Any]:
        """What the request log adds for an error answer (e.g. the vendor's error list)."""
        return {}

    def admin(self, name: str, request: Request) -> Response | None:
        """``/_sandbox/<name>`` endpoints of this sandbox's own (None: no such endpoint)."""
        return None

    def close(self) -> None:
        """Release what the sandbox holds (workers, files) when its server stops."""

    # --------------------------------------------------------------- pipeline

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path.startswith(ADMIN_PREFIX):
            return self._admin(request)(environ, start_response)
        with self._in_flight:
            self._active += 1
        try:
            response = self.dispatch(request)
        except _DropConnection:
            connection = environ.get("werkzeug.socket")
            if connection is not None:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            # werkzeug treats a ConnectionError as a client gone away: no answer
            raise ConnectionResetError("sandbox fault: connection dropped") from None
        finally:
            with self._in_flight:
                self._active -= 1
                self._in_flight.notify_all()
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        note = Note(time.time())
        body: Any = None
        try:
            endpoint, args = self.routes.bind_to_environ(request.environ).match()
            self.authenticate(request)
            self.precheck(request)
            body = self._body(request)
            if self.validate:
                invalid = self.validation_errors(request, body)
                note.validation = "passed" if invalid is None else "failed"
                if invalid is not None:
                    raise Refused(invalid)
            self._limit(request, endpoint, note)
            self._fault(request, body, note)
            response = self.handle(endpoint, request, body, args)
        except Refused as refused:
            response = refused.response()
        except NotFound:
            response = self.error(404, f"No route for {request.path}.")
        except MethodNotAllowed:
            response = self.error(405, f"{request.method} is not allowed on {request.path}.")
        response.headers.update(note.headers)
        details = self.logged_details(response) if response.status_code >= 400 else {}
        self.log.record(request, body, response, note, details)
        return response

    def _body(self, request: Request) -> Any:
        if request.method not in WRITE_METHODS:
            return None
        too_large = f"The body exceeds {self.max_body_bytes} bytes."
        if (request.content_length or 0) > self.max_body_bytes:
            raise Refused(self.error(413, too_large))
        if self.media_type is not None and request.mimetype != self.media_type:
            raise Refused(
                self.error(
                    415,
                    f"Content-Type must be {self.media_type}; got '{request.mimetype or 'none'}'.",
                )
            )
        raw = request.get_data(cache=True)
        if len(raw) > self.max_body_bytes:  # no Content-Length (chunked)
            raise Refused(self.error(413, too_large))
        try:
            return json.loads(raw) if raw else None
        except ValueError as exc:
            raise Refused(self.error(400, f"The body is not valid JSON: {exc}.")) from None

    def _limit(self, request: Request, endpoint: str, note: Note) -> None:
        decision = self.rate_limiter.check(self.budget_for(request, endpoint))
        if decision.budget is not None:
            note.headers = self.rate_limit_headers(decision)
        if decision.throttled:
            note.fault = {"status": 429, "retry_after": decision.retry_after, "rate_limit": True}
            raise Refused(self.throttled(decision))

    def _fault(self, request: Request, body: Any, note: Note) -> None:
        """Sleep, answer, or drop the connection as the fault hitting this request says."""
        fault = self.faults.pick(request.method, request.path)
        if fault is None:
            return
        note.fault = fault.logged()
        if fault.delay:
            time.sleep(fault.delay)
        if fault.drop:
            self.log.record(request, body, None, note)
            raise _DropConnection()
        if fault.answers():
            raise Refused(self.fault_response(fault))

    def fault_response(self, fault: Fault) -> Response:
        assert fault.status is not None
        if fault.body is not None:
            response = Response(fault.body, status=fault.status, content_type=fault.content_type)
        else:
            detail = f"Injected fault: HTTP {fault.status}."
            if fault.retry_after is not None:
                detail += f" Expected available in {fault.retry_after_header()} seconds."
            response = self.error(fault.status, detail)
        retry_after = fault.retry_after_header()
        if retry_after is not None:
            response.headers["Retry-After"] = retry_after
        return response

    def wait_until_answered(self, timeout: float = 60.0) -> bool:
        """Wait until no request is being handled (a hung one included); False on timeout."""
        with self._in_flight:
            return self._in_flight.wait_for(lambda: self._active == 0, timeout)

    # ------------------------------------------------------------------ admin

    def _admin(self, request: Request) -> Response:
        name = request.path.removeprefix(ADMIN_PREFIX).strip("/")
        try:
            if name == "requests" and request.method == "GET":
                entries = self.log.entries()
                limit = request.args.get("limit", type=int)
                return json_response(200, {"requests": entries[-limit:] if limit else entries})
            if name == "faults" and request.method in ("GET", "POST", "DELETE"):
                if request.method == "POST":
                    self.faults.add(Fault(**(request.get_json(force=True) or {})))
                elif request.method == "DELETE":
                    self.faults.clear()
                return json_response(200, {"faults": self.faults.active()})
            if name == "rate-limits" and request.method in ("GET", "POST"):
                if request.method == "POST":
                    settings = request.get_json(force=True) or {}
                    self.rate_limiter.configure(RateLimitConfig(**settings))
                return json_response(200, self.rate_limiter.describe())
            answer = self.admin(name, request)
        except (TypeError, ValueError) as exc:
            return json_response(400, {"error": str(exc)})
        return answer or json_response(404, {"error": f"no sandbox endpoint {request.path}"})


class _DropConnection(Exception):
    """Close the connection without answering (an injected fault)."""
