"""The sandbox WSGI app: routing, authentication, the ``revision`` header, content types,
spec validation, injected faults, the request log and the ``/_sandbox/`` admin endpoints.

Each request-log entry: seq, time (arrival, epoch seconds), method, path, query_string, args,
headers (never Authorization), body, status, validation ("passed", "failed", or "skipped"
when validation is off or the request was refused before it), fault (the injected fault that
answered it, or None) and, for errors, the JSON:API errors.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import re
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import handlers
from .engagement import EngagementConfig
from .errors import SandboxError, invalid
from .faults import Fault, FaultInjector
from .jobs import ImportWorker
from .ratelimits import RateLimitConfig, SandboxRateLimiter
from .store import Store
from .validation import SPEC_REVISION, request_errors

JSON_API = "application/vnd.api+json"
MAX_BODY_BYTES = 5 * 1024 * 1024
FIRST_REVISION = date(2022, 10, 17)
REVISION_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(\.[a-z]+)?$")
LOGGED_HEADERS = ("revision", "Content-Type", "Accept", "User-Agent")

ROUTES = Map(
    [
        Rule("/api/profile-import", endpoint="profile_import", methods=["POST"]),
        Rule("/api/profiles", endpoint="get_profiles", methods=["GET"]),
        Rule("/api/profile-bulk-import-jobs", endpoint="create_import_job", methods=["POST"]),
        Rule("/api/profile-bulk-import-jobs/<job_id>", endpoint="get_import_job", methods=["GET"]),
        Rule(
            "/api/profile-bulk-import-jobs/<id>/import-errors",
            endpoint="get_import_errors",
            methods=["GET"],
        ),
        Rule("/api/lists", endpoint="get_lists", methods=["GET"]),
        Rule("/api/lists", endpoint="create_list", methods=["POST"]),
        Rule(
            "/api/lists/<id>/relationships/profiles",
            endpoint="list_profiles",
            methods=["GET", "POST", "DELETE"],
        ),
        Rule("/api/events", endpoint="get_events", methods=["GET"]),
        Rule("/api/events", endpoint="create_event", methods=["POST"]),
        Rule("/api/metrics", endpoint="get_metrics", methods=["GET"]),
        Rule(
            "/api/data-privacy-deletion-jobs",
            endpoint="request_profile_deletion",
            methods=["POST"],
        ),
        Rule("/_sandbox/state", endpoint="admin_state", methods=["GET"]),
        Rule("/_sandbox/requests", endpoint="admin_requests", methods=["GET"]),
        Rule("/_sandbox/reset", endpoint="admin_reset", methods=["POST"]),
        Rule("/_sandbox/faults", endpoint="admin_faults", methods=["GET", "POST", "DELETE"]),
        Rule("/_sandbox/rate-limits", endpoint="admin_rate_limits", methods=["GET", "POST"]),
        Rule("/_sandbox/engagement", endpoint="admin_engagement", methods=["GET", "POST"]),
    ],
    strict_slashes=False,
)


class SandboxApp:
    def __init__(
        self,
        store: Store,
        worker: ImportWorker,
        api_key: str,
        *,
        validate: bool = True,
        max_logged_requests: int = 10_000,
        rate_limits: RateLimitConfig | None = None,
        engagement: EngagementConfig | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("the sandbox needs a non-empty api_key")
        self.store = store
        self.worker = worker
        self._api_key = api_key.encode()
        self.validate = validate
        self._log: deque[dict[str, Any]] = deque(maxlen=max_logged_requests)
        self._log_lock = threading.Lock()
        self._seq = 0
        self.faults = FaultInjector()
        self.rate_limiter = SandboxRateLimiter(rate_limits)
        self.engagement = engagement
        self.deletions: list[dict[str, Any]] = []
        self._in_flight = threading.Condition()
        self._active = 0

    # -------------------------------------------------------------- WSGI entry

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self._in_flight:
            self._active += 1
        try:
            response = self.dispatch(request)
        except _DropConnection:
            connection = environ.get("werkzeug.socket")
            if connection is not None:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            # werkzeug treats a ConnectionError as a client gone away: no answer, no log
            raise ConnectionResetError("sandbox fault: connection dropped") from None
        finally:
            with self._in_flight:
                self._active -= 1
                self._in_flight.notify_all()
        return response(environ, start_response)

    def wait_until_answered(self, timeout: float = 60.0) -> bool:
        """Wait until no request is being handled (a hung one included); False on timeout."""
        with self._in_flight:
            return self._in_flight.wait_for(lambda: self._active == 0, timeout)

    def dispatch(self, request: Request) -> Response:
        note = _Note(time.time())
        adapter = ROUTES.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except NotFound:
            error = SandboxError(404, "not_found", "Not found.", f"No route for {request.path}.")
            return self._finish(request, None, _error_response(error), note)
        except MethodNotAllowed:
            error = handlers.raise_method_not_allowed(request.method, request.path)
            return self._finish(request, None, _error_response(error), note)
        if endpoint.startswith("admin_"):
            return self._admin(endpoint, request)
        body: Any = None
        try:
            self._authenticate(request)
            self._check_revision(request)
            body = self._read_body(request)
            if self.validate:
                errors = request_errors(request)
                note.validation = "failed" if errors else "passed"
                if errors:
                    return self._finish(
                        request, body, _json_response(400, {"errors": errors}), note
                    )
            limited = self.rate_limiter.check(request.method, request.path)
            note.headers = limited.headers
            if limited.retry_after is not None:
                note.fault = {"status": 429, "retry_after": limited.retry_after, "rate_limit": True}
                return self._finish(request, body, _throttled(limited.retry_after), note)
            fault = self._fault(request)
            if fault is not None and fault.delay:
                note.fault = {"status": None, "delay": fault.delay}
            if fault is not None and (fault.status is not None or fault.drop):
                note.fault = {"status": fault.status, "retry_after": fault.retry_after}
                if fault.drop:
                    note.fault["drop"] = True
                    self._record(request, body, None, note)
                    raise _DropConnection()
                return self._finish(request, body, _fault_response(fault), note)
            handler = getattr(handlers, endpoint)
            context = handlers.Context(
                self.store, self.worker, request, body, self.engagement, self.deletions
            )
            try:
                status, payload = handler(context, **args)
            except (KeyError, TypeError, AttributeError) as exc:
                # only reachable with validation off: a body the spec would have rejected
                raise invalid(f"Malformed request body ({type(exc).__name__}: {exc}).") from exc
        except SandboxError as error:
            return self._finish(request, body, _error_response(error), note)
        if payload is None:
            return self._finish(request, body, Response(status=status), note)
        return self._finish(request, body, _json_response(status, payload), note)

    def _fault(self, request: Request) -> Fault | None:
        """The injected fault hitting this request (None: none), after its delay; a fault
        without status or drop only slows the answer."""
        fault = self.faults.pick(request.method, request.path)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        return fault

    # ------------------------------------------------------------------ checks

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if not header:
            raise SandboxError(
                401,
                "not_authenticated",
                "Authentication credentials were not provided.",
                "Missing Authorization header; send 'Authorization: Klaviyo-API-Key <key>'.",
            )
        if scheme != "Klaviyo-API-Key" or not hmac.compare_digest(key.encode(), self._api_key):
            raise SandboxError(
                401,
                "authentication_failed",
                "Incorrect authentication credentials.",
                "The API key is not valid for this account.",
            )

    def _check_revision(self, request: Request) -> None:
        revision = request.headers.get("revision")
        if not revision:
            raise SandboxError(
                400,
                "missing_revision",
                "Missing revision header.",
                f"Every request needs a 'revision' header, e.g. 'revision: {SPEC_REVISION}'.",
                parameter="revision",
            )
        match = REVISION_RE.match(revision)
        valid = False
        if match:
            try:
                day = date(int(match[1]), int(match[2]), int(match[3]))
                valid = FIRST_REVISION <= day <= date.fromisoformat(SPEC_REVISION)
            except ValueError:
                valid = False
        if not valid:
            raise SandboxError(
                400,
                "invalid_revision",
                "Invalid revision.",
                f"'{revision}' is not a valid revision; use a date like {SPEC_REVISION} "
                f"(YYYY-MM-DD, between {FIRST_REVISION} and {SPEC_REVISION}).",
                parameter="revision",
            )

    def _read_body(self, request: Request) -> Any:
        if request.method not in ("POST", "PATCH", "PUT", "DELETE"):
            return None
        if (request.content_length or 0) > MAX_BODY_BYTES:
            raise SandboxError(
                413, "payload_too_large", "Payload too large.", "The body exceeds 5 MB."
            )
        if request.mimetype != JSON_API:
            raise SandboxError(
                415,
                "unsupported_media_type",
                "Unsupported media type.",
                f"Content-Type must be {JSON_API}; got '{request.mimetype or 'none'}'.",
            )
        raw = request.get_data(cache=True)
        try:
            return json.loads(raw) if raw else None
        except ValueError as exc:
            raise invalid(f"The body is not valid JSON: {exc}.") from exc

    # ------------------------------------------------------------- request log

    def _finish(self, request: Request, body: Any, response: Response, note: _Note) -> Response:
        for name, value in note.headers.items():
            response.headers[name] = value
        self._record(request, body, response, note)
        return response

    def _record(self, request: Request, body: Any, response: Response | None, note: _Note) -> None:
        """Append to the request log (``status`` None: the connection was dropped)."""
        if body is None and request.method in ("POST", "PATCH", "PUT", "DELETE"):
            raw = request.get_data(cache=True, as_text=True)
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw
        headers = {
            name: request.headers[name] for name in LOGGED_HEADERS if name in request.headers
        }
        with self._log_lock:
            self._seq += 1
            entry: dict[str, Any] = {
                "seq": self._seq,
                "time": note.time,
                "method": request.method,
                "path": request.path,
                "query_string": request.query_string.decode(),
                "args": {key: request.args.getlist(key) for key in request.args},
                "headers": headers,
                "body": body,
                "status": None if response is None else response.status_code,
                "validation": note.validation,
                "fault": note.fault,
            }
            if response is not None and response.status_code >= 400:
                entry["errors"] = json.loads(response.get_data(as_text=True)).get("errors")
            self._log.append(entry)

    def recorded_requests(self) -> list[dict[str, Any]]:
        with self._log_lock:
            return [dict(entry) for entry in self._log]

    def clear_log(self) -> None:
        with self._log_lock:
            self._log.clear()

    # ------------------------------------------------------------------- admin

    def state(self) -> dict[str, Any]:
        counts = self.store.counts()
        return {
            "profiles": counts["profiles"],
            "lists": counts["lists"],
            "list_members": counts["list_members"],
            "members_by_list": self.store.member_counts(),
            "events": counts["events"],
            "metrics": counts["metrics"],
            "import_jobs": counts["import_jobs"],
            "import_errors": counts["import_errors"],
            "requests_logged": len(self._log),
            "faults": self.faults.active(),
            "rate_limits": self.rate_limiter.describe(),
            "engagement": None if self.engagement is None else self.engagement.describe(),
            "deletions": len(self.deletions),
        }

    def _admin(self, endpoint: str, request: Request) -> Response:
        if endpoint == "admin_state":
            return _json_response(200, self.state(), mimetype="application/json")
        if endpoint == "admin_requests":
            entries = self.recorded_requests()
            limit = request.args.get("limit", type=int)
            if limit:
                entries = entries[-limit:]
            return _json_response(200, {"requests": entries}, mimetype="application/json")
        if endpoint == "admin_faults":
            return self._admin_faults(request)
        if endpoint in ("admin_rate_limits", "admin_engagement"):
            return self._admin_config(endpoint, request)
        self.worker.wait_idle()
        self.store.reset()
        self.faults.clear()
        self.clear_log()
        return _json_response(200, {"reset": True}, mimetype="application/json")

    def _admin_config(self, endpoint: str, request: Request) -> Response:
        """GET the rate-limit / engagement settings, POST new ones (JSON of the config)."""
        if request.method == "POST":
            try:
                settings = request.get_json(force=True) or {}
                if endpoint == "admin_rate_limits":
                    self.rate_limiter.configure(RateLimitConfig(**settings))
                else:
                    self.engagement = EngagementConfig(**settings)
            except (TypeError, ValueError) as exc:
                return _json_response(400, {"error": str(exc)}, mimetype="application/json")
        if endpoint == "admin_rate_limits":
            current: Any = self.rate_limiter.describe()
        else:
            current = None if self.engagement is None else self.engagement.describe()
        return _json_response(200, current, mimetype="application/json")

    def _admin_faults(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                self.faults.add(Fault(**(request.get_json(force=True) or {})))
            except (TypeError, ValueError) as exc:
                return _json_response(400, {"error": str(exc)}, mimetype="application/json")
        elif request.method == "DELETE":
            self.faults.clear()
        return _json_response(200, {"faults": self.faults.active()}, mimetype="application/json")


@dataclass
class _Note:
    """What the request log records beyond the request and the response."""

    time: float
    validation: str = "skipped"
    fault: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


class _DropConnection(Exception):
    """Close the connection without answering (an injected fault)."""


def _throttled(retry_after: int) -> Response:
    """Klaviyo's answer over a rate limit."""
    error = SandboxError(
        429,
        "throttled",
        "Request was throttled.",
        f"Request was throttled. Expected available in {retry_after} second"
        f"{'' if retry_after == 1 else 's'}.",
    )
    response = _error_response(error)
    response.headers["Retry-After"] = str(retry_after)
    return response


def _fault_response(fault: Fault) -> Response:
    if fault.body is not None:
        return Response(fault.body, status=fault.status, content_type=fault.content_type)
    response = _error_response(fault.error())
    if fault.retry_after is not None:
        response.headers["Retry-After"] = fault.retry_after_header()
    return response


def _json_response(status: int, payload: Any, mimetype: str = JSON_API) -> Response:
    return Response(json.dumps(payload), status=status, mimetype=mimetype)


def _error_response(error: SandboxError) -> Response:
    return _json_response(error.status, {"errors": [error.to_error()]})
