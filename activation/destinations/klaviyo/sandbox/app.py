"""The Klaviyo sandbox app: what is Klaviyo's own on top of the sandbox framework (routing,
the ``Klaviyo-API-Key`` check, the ``revision`` header, the JSON:API content type and errors,
validation against the OpenAPI spec, the spec's per-endpoint rate limits and ``RateLimit-*``
headers) and the ``/_sandbox/`` state, reset and engagement endpoints.

Request-log entries (see ``framework.request_log``) also hold, for errors, the JSON:API
``errors``; ``validation`` is "skipped" when validation is off.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ....sandbox.framework import Budget, Decision, RateLimitConfig, SandboxApp, json_response
from ....sandbox.framework.auth import presented_key, same_secret
from . import handlers
from .engagement import EngagementConfig
from .errors import JSON_API, SandboxError, invalid, json_api_response
from .jobs import ImportWorker
from .ratelimits import operation_for, operations
from .store import Store
from .validation import SPEC_REVISION, request_errors

FIRST_REVISION = date(2022, 10, 17)
REVISION_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(\.[a-z]+)?$")

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
    ],
    strict_slashes=False,
)


class KlaviyoApp(SandboxApp):
    routes = ROUTES
    max_body_bytes = 5 * 1024 * 1024
    media_type = JSON_API
    logged_headers = ("revision", "Content-Type", "Accept", "User-Agent")

    def __init__(
        self,
        store: Store,
        worker: ImportWorker,
        api_key: str,
        *,
        validate: bool = True,
        rate_limits: RateLimitConfig | None = None,
        engagement: EngagementConfig | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("the sandbox needs a non-empty api_key")
        super().__init__(rate_limits=rate_limits, max_logged_requests=10_000)
        self.store = store
        self.worker = worker
        self._api_key = api_key
        self.validate = validate
        self.engagement = engagement
        self.deletions: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ checks

    def authenticate(self, request: Request) -> None:
        if "Authorization" not in request.headers:
            raise SandboxError(
                401,
                "not_authenticated",
                "Authentication credentials were not provided.",
                "Missing Authorization header; send 'Authorization: Klaviyo-API-Key <key>'.",
            )
        if not same_secret(presented_key(request, "Klaviyo-API-Key"), self._api_key):
            raise SandboxError(
                401,
                "authentication_failed",
                "Incorrect authentication credentials.",
                "The API key is not valid for this account.",
            )

    def precheck(self, request: Request) -> None:
        """Every request names a ``revision`` of the API, a date Klaviyo has released."""
        revision = request.headers.get("revision")
        if not revision:
            raise SandboxError(
                400,
                "missing_revision",
                "Missing revision header.",
                f"Every request needs a 'revision' header, e.g. 'revision: {SPEC_REVISION}'.",
                parameter="revision",
            )
        if not _released(revision):
            raise SandboxError(
                400,
                "invalid_revision",
                "Invalid revision.",
                f"'{revision}' is not a valid revision; use a date like {SPEC_REVISION} "
                f"(YYYY-MM-DD, between {FIRST_REVISION} and {SPEC_REVISION}).",
                parameter="revision",
            )

    def validation_errors(self, request: Request, body: Any) -> Response | None:
        errors = request_errors(request)
        return json_api_response(400, {"errors": errors}) if errors else None

    def error(self, status: int, detail: str) -> Response:
        return SandboxError.for_status(status, detail).response()

    def logged_details(self, response: Response) -> dict[str, Any]:
        try:
            return {"errors": json.loads(response.get_data(as_text=True)).get("errors")}
        except (ValueError, AttributeError):  # an injected fault's page
            return {"errors": None}

    # ------------------------------------------------------------- rate limits

    def budgets(self) -> Sequence[Budget]:
        return operations()

    def budget_for(self, request: Request, endpoint: str) -> Budget | None:
        return operation_for(request.method, request.path)

    def rate_limit_headers(self, decision: Decision) -> dict[str, str]:
        burst = decision.shortest()
        if decision.throttled or burst is None:
            return {}
        policy = ", ".join(f"{s.window.limit};w={s.window.seconds:g}" for s in decision.windows)
        return {
            "RateLimit-Limit": f"{burst.window.limit}, {policy}",
            "RateLimit-Remaining": str(max(0, burst.window.limit - burst.used)),
            "RateLimit-Reset": str(max(1, math.ceil(burst.resets_at - decision.now))),
        }

    # ---------------------------------------------------------------- handlers

    def handle(
        self, endpoint: str, request: Request, body: Any, args: Mapping[str, Any]
    ) -> Response:
        handler = getattr(handlers, endpoint)
        context = handlers.Context(
            self.store, self.worker, request, body, self.engagement, self.deletions
        )
        try:
            status, payload = handler(context, **args)
        except (KeyError, TypeError, AttributeError) as exc:
            # only reachable with validation off: a body the spec would have rejected
            raise invalid(f"Malformed request body ({type(exc).__name__}: {exc}).") from exc
        if payload is None:
            return Response(status=status)
        return json_api_response(status, payload)

    def close(self) -> None:
        self.worker.stop()
        self.store.close()

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
            "requests_logged": len(self.log),
            "faults": self.faults.active(),
            "rate_limits": self.rate_limiter.describe(),
            "engagement": None if self.engagement is None else self.engagement.describe(),
            "deletions": len(self.deletions),
        }

    def admin(self, name: str, request: Request) -> Response | None:
        if name == "state" and request.method == "GET":
            return json_response(200, self.state())
        if name == "reset" and request.method == "POST":
            self.worker.wait_idle()
            self.store.reset()
            self.faults.clear()
            self.log.clear()
            return json_response(200, {"reset": True})
        if name == "engagement" and request.method in ("GET", "POST"):
            if request.method == "POST":
                self.engagement = EngagementConfig(**(request.get_json(force=True) or {}))
            current = None if self.engagement is None else self.engagement.describe()
            return json_response(200, current)
        return None


def _released(revision: str) -> bool:
    match = REVISION_RE.match(revision)
    if not match:
        return False
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return False
    return FIRST_REVISION <= day <= date.fromisoformat(SPEC_REVISION)
