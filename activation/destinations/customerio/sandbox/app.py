"""A Customer.io Track API contract server: the shapes and limits Nudge relies on.

- HTTP Basic ``site_id:api_key``; errors ``{"meta": {"error": ...}}``; a fixed-window rate
  limit (100 requests / s by default) answering 429 with no rate-limit headers.
- ``PUT /api/v1/customers/{id}`` (attributes), ``DELETE /api/v1/customers/{id or email}``,
  ``POST /api/v1/customers/{id}/events``
  ``{name, id, timestamp, data}``, ``POST /api/v1/customers/{id}/suppress``.
- ``POST /api/v2/batch``: up to 500 KB (413 above), items up to 32 KB; 200 when every item
  passed, else 207 ``{"errors": [{batch_index, reason, field, message}]}``.
- Event ids must be ULIDs and are de-duplicated: an id seen before is accepted and ignored.
- Manual segments exist beforehand (``segments=``): ``POST /api/v1/segments/{id}/add_customers``
  / ``remove_customers`` ``{"ids": [...]}``, up to 1,000 ids.
- App API (Bearer ``app_api_key``, 10 requests / s): ``GET /v1/messages?type=&start_ts=
  &end_ts=&limit=&start=`` lists email messages newest first, ``next`` the cursor of the
  next page ("" at the end). With ``engagement`` and ``campaigns`` (event name -> campaign
  id), each new event of a campaign's name sends one simulated message (messages.py);
  ``POST /v1/customers/attributes`` reads people back (people.py), so a test sets a person's
  subscription-center topics as Customer.io does, the ``cio_subscription_preferences``
  attribute (``{"topics": {"topic_3": false}}``) through the Track API.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ....sandbox.framework import Budget, Decision, Refused, SandboxApp, Window, json_response
from ....sandbox.framework.auth import basic_credentials, presented_key, same_secret
from ....sandbox.framework.engagement import EngagementConfig
from .messages import simulated_message
from .people import PeopleReadBack

BATCH_BYTES = 500 * 1024
ITEM_BYTES = 32 * 1024
SEGMENT_IDS = 1000
MESSAGES_PAGE = (50, 1000)  # default and largest limit
APP_API_ENDPOINTS = ("messages", "customer_attributes")
APP_API_BUDGET = Budget("app_api", (Window("second", 10, 1.0),))
ULID = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class CustomerioApp(PeopleReadBack, SandboxApp):
    max_body_bytes = BATCH_BYTES
    routes = Map(
        [
            Rule("/api/v1/customers/<customer_id>", endpoint="identify", methods=["PUT"]),
            Rule("/api/v1/customers/<customer_id>", endpoint="delete", methods=["DELETE"]),
            Rule("/api/v1/customers/<customer_id>/events", endpoint="event", methods=["POST"]),
            Rule("/api/v1/customers/<customer_id>/suppress", endpoint="suppress", methods=["POST"]),
            Rule("/api/v2/batch", endpoint="batch", methods=["POST"]),
            Rule("/v1/messages", endpoint="messages", methods=["GET"]),
            Rule("/v1/customers/attributes", endpoint="customer_attributes", methods=["POST"]),
            Rule(
                "/api/v1/segments/<int:segment_id>/<any(add_customers, remove_customers):change>",
                endpoint="segment",
                methods=["POST"],
            ),
        ]
    )

    def __init__(
        self,
        site_id: str,
        api_key: str,
        *,
        segments: tuple[int, ...] = (),
        rate: tuple[int, float] = (100, 1.0),
        app_api_key: str | None = None,
        campaigns: dict[str, int] | None = None,
        engagement: EngagementConfig | None = None,
    ) -> None:
        self.track_budget = Budget("track_api", (Window("window", *rate),))
        super().__init__()
        self._credentials = f"{site_id}:{api_key}"
        self._app_key = app_api_key or ""
        self.campaigns = dict(campaigns or {})
        self.engagement = engagement
        self.messages: list[dict[str, Any]] = []
        self.people: dict[str, dict[str, Any]] = {}
        self.attribute_times: dict[str, dict[str, int]] = {}
        self.events: list[dict[str, Any]] = []
        self.event_ids: set[str] = set()
        self.segments: dict[int, set[str]] = {segment: set() for segment in segments}
        self.suppressed: set[str] = set()

    def error(self, status: int, detail: str) -> Response:
        return json_response(status, {"meta": {"error": detail}})

    def authenticate(self, request: Request) -> None:
        if request.path.startswith("/v1/"):
            known = same_secret(presented_key(request, "Bearer"), self._app_key)
        else:
            credentials = basic_credentials(request)
            known = credentials is not None and same_secret(
                ":".join(credentials), self._credentials
            )
        if not known:
            raise Refused(self.error(401, "Unauthorized request"))

    def budgets(self) -> tuple[Budget, ...]:
        return self.track_budget, APP_API_BUDGET

    def budget_for(self, request: Request, endpoint: str) -> Budget | None:
        return APP_API_BUDGET if endpoint in APP_API_ENDPOINTS else self.track_budget

    def throttled(self, decision: Decision) -> Response:
        return self.error(429, "Too many requests")  # no rate-limit headers, no Retry-After

    # ------------------------------------------------------------------ people

    def _identify(self, customer_id: str, attributes: Any) -> tuple[str, str] | None:
        """(field, message) when the attributes are refused."""
        if not isinstance(attributes, dict):
            return "attributes", "attributes must be an object"
        email = attributes.get("email")
        if email is not None and not (isinstance(email, str) and EMAIL.match(email)):
            return "attributes.email", f"{email!r} is not a valid email address"
        person = self.people.setdefault(customer_id, {"id": customer_id})
        times = self.attribute_times.setdefault(customer_id, {})
        for name, value in attributes.items():
            times[name] = int(time.time())
            if value is None:
                person.pop(name, None)
                times.pop(name, None)
            else:
                person[name] = value
        return None

    def _event(self, customer_id: str, item: dict[str, Any]) -> tuple[str, str] | None:
        name = item.get("name")
        if not isinstance(name, str) or not name:
            return "name", "an event needs a name"
        event_id = item.get("id")
        if event_id is not None and not (isinstance(event_id, str) and ULID.match(event_id)):
            return "id", f"{event_id!r} is not a ULID"
        data = item.get("data", item.get("attributes")) or {}
        with self.lock:  # a retry can arrive while its first try is still being handled
            if event_id in self.event_ids:
                return None  # seen before: de-duplicated
            if event_id:
                self.event_ids.add(event_id)
            event = {
                "customer_id": customer_id,
                "name": name,
                "id": event_id,
                "timestamp": item.get("timestamp"),
                "data": data,
            }
            self.events.append(event)
            campaign = self.campaigns.get(name)
            if self.engagement is not None and self.engagement.enabled and campaign is not None:
                person = self.people.get(customer_id, {})
                self.messages.append(simulated_message(self.engagement, campaign, person, event))
        return None

    def on_identify(self, request: Request, body: Any, customer_id: str) -> Response:
        with self.lock:
            problem = self._identify(customer_id, body or {})
        return self.error(400, problem[1]) if problem else json_response(200, {})

    def on_event(self, request: Request, body: Any, customer_id: str) -> Response:
        with self.lock:
            problem = self._event(customer_id, body or {})
        return self.error(400, problem[1]) if problem else json_response(200, {})

    def on_delete(self, request: Request, body: Any, customer_id: str) -> Response:
        """Delete the person with this id, or with this email."""
        with self.lock:
            gone = {
                person_id
                for person_id, person in self.people.items()
                if customer_id in (person_id, str(person.get("email", "")).lower())
                or person.get("email") == customer_id
            }
            for person_id in gone:
                del self.people[person_id]
                self.attribute_times.pop(person_id, None)
                for members in self.segments.values():
                    members.discard(person_id)
            self.events = [e for e in self.events if e["customer_id"] not in gone]
            self.messages = [m for m in self.messages if m["customer_id"] not in gone]
        return json_response(200, {})

    def on_suppress(self, request: Request, body: Any, customer_id: str) -> Response:
        with self.lock:
            self.suppressed.add(customer_id)
        return json_response(200, {})

    def on_batch(self, request: Request, body: Any) -> Response:
        items = (body or {}).get("batch")
        if not isinstance(items, list):
            return self.error(400, "batch (a list) is required")
        errors = []
        with self.lock:
            for index, item in enumerate(items):
                problem = self._batch_item(item)
                if problem:
                    reason, field, message = problem
                    errors.append(
                        {"batch_index": index, "reason": reason, "field": field, "message": message}
                    )
        return json_response(207, {"errors": errors}) if errors else json_response(200, {})

    def _batch_item(self, item: Any) -> tuple[str, str, str] | None:
        if len(json.dumps(item, separators=(",", ":")).encode()) > ITEM_BYTES:
            return "too_large", "", f"an item may be at most {ITEM_BYTES} bytes"
        if not isinstance(item, dict) or item.get("type") != "person":
            return "invalid", "type", "type must be 'person'"
        identifiers = item.get("identifiers") or {}
        customer_id = identifiers.get("id") if isinstance(identifiers, dict) else None
        if not isinstance(customer_id, str) or not customer_id:
            return "required", "identifiers", "identifiers.id is required"
        action = item.get("action")
        if action == "identify":
            problem = self._identify(customer_id, item.get("attributes") or {})
        elif action == "event":
            problem = self._event(customer_id, item)
        else:
            return "invalid", "action", f"unknown action {action!r}"
        return None if problem is None else ("invalid", *problem)

    # ---------------------------------------------------------------- App API

    def on_messages(self, request: Request, body: Any) -> Response:
        default, largest = MESSAGES_PAGE
        limit = min(request.args.get("limit", default=default, type=int), largest)
        start = request.args.get("start", default=0, type=int)
        kind = request.args.get("type")
        low = request.args.get("start_ts", type=int)
        high = request.args.get("end_ts", type=int)
        with self.lock:
            rows = [
                dict(m)
                for m in self.messages
                if kind in (None, m["type"])
                and (low is None or m["created"] >= low)
                and (high is None or m["created"] < high)
            ]
        rows.sort(key=lambda m: (-m["created"], m["id"]))
        page = rows[start : start + limit]
        following = start + len(page)
        return json_response(
            200, {"messages": page, "next": str(following) if following < len(rows) else ""}
        )

    # ---------------------------------------------------------------- segments

    def on_segment(self, request: Request, body: Any, segment_id: int, change: str) -> Response:
        ids = (body or {}).get("ids")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            return self.error(400, "ids (a list of customer ids) is required")
        if len(ids) > SEGMENT_IDS:
            return self.error(400, f"at most {SEGMENT_IDS} ids per call, got {len(ids)}")
        with self.lock:
            members = self.segments.get(segment_id)
            if members is None:
                return self.error(404, f"manual segment {segment_id} not found")
            if change == "add_customers":
                members.update(i for i in ids if i in self.people)
            else:
                members.difference_update(ids)
        return json_response(200, {})
