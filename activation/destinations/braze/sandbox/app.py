"""A Braze contract server: the REST API shapes and limits Nudge relies on.

- ``Authorization: Bearer <key>``; JSON; 4 MB payload (413 above).
- ``POST /users/track``: ``attributes[]``, ``events[]``, ``purchases[]``, up to 75 of each per
  request (``objects_mode="total"``: 75 in all, the conflicting reading); objects identified by
  ``external_id``; array attributes take ``{"add": [...], "remove": [...]}``;
  ``_update_existing_only`` skips unknown users. Fixed-window rate limit (3,000 / 3 s by
  default) with ``X-RateLimit-Limit/-Remaining/-Reset`` on every answer and 429 when over.
  Answers 201 ``{"message": "success", …, "errors": [{type, input_array, index}]}`` when
  anything was processed, else 400 with the same ``errors``. Events are not de-duplicated.
- ``POST /transactional/v1/campaigns/{id}/send``: ``external_send_id`` de-duplicated for 24 h
  (the same dispatch is answered again, nothing is sent twice).
- ``GET /email/unsubscribes``: ``start_date``, ``end_date``, ``limit`` (≤ 500), ``offset``.
- ``POST /users/export/ids`` by ``email_address``; ``POST /users/delete`` (up to 50 ids).
- Email subscription groups (``subscription_groups=`` id -> name): subscriptions.py.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, date, datetime
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ....sandbox.framework import Budget, Decision, Refused, SandboxApp, Window, json_response
from ....sandbox.framework.auth import presented_key, same_secret
from .subscriptions import SubscriptionGroups

TRACK_OBJECTS = 75
SEND_DEDUP_SECONDS = 24 * 3600
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ARRAYS = ("attributes", "events", "purchases")


class BrazeApp(SubscriptionGroups, SandboxApp):
    routes = Map(
        [
            Rule("/users/track", endpoint="track", methods=["POST"]),
            Rule(
                "/transactional/v1/campaigns/<campaign_id>/send",
                endpoint="send",
                methods=["POST"],
            ),
            Rule("/email/unsubscribes", endpoint="unsubscribes", methods=["GET"]),
            Rule("/users/export/ids", endpoint="export_ids", methods=["POST"]),
            Rule("/users/delete", endpoint="delete_users", methods=["POST"]),
            Rule("/subscription/status/set", endpoint="subscription_set", methods=["POST"]),
            Rule("/subscription/user/status", endpoint="subscription_user_status", methods=["GET"]),
        ]
    )

    def __init__(
        self,
        api_key: str,
        *,
        campaigns: tuple[str, ...] = (),
        track_rate: tuple[int, float] = (3000, 3.0),
        objects_mode: str = "each",
        subscription_groups: dict[str, str] | None = None,
    ) -> None:
        self.track_budget = Budget("users_track", (Window("window", *track_rate),))
        super().__init__()
        self._key = api_key
        self.campaigns = set(campaigns)
        self.objects_mode = objects_mode
        self.users: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.dispatches: dict[str, dict[str, Any]] = {}  # external_send_id -> dispatch
        self.deliveries: list[dict[str, Any]] = []  # one per message actually sent
        self.unsubscribed: dict[str, datetime] = {}
        self.group_names = dict(subscription_groups or {})
        self.group_status: dict[str, dict[str, str]] = {}

    def authenticate(self, request: Request) -> None:
        if not same_secret(presented_key(request, "Bearer"), self._key):
            raise Refused(self.error(401, "Invalid API key"))

    def budgets(self) -> tuple[Budget, ...]:
        return (self.track_budget,)

    def budget_for(self, request: Request, endpoint: str) -> Budget | None:
        return self.track_budget if endpoint == "track" else None

    def rate_limit_headers(self, decision: Decision) -> dict[str, str]:
        (state,) = decision.windows
        return {
            "X-RateLimit-Limit": str(state.window.limit),
            "X-RateLimit-Remaining": str(max(0, state.window.limit - state.used)),
            "X-RateLimit-Reset": str(int(state.resets_at)),
        }

    def throttled(self, decision: Decision) -> Response:
        return self.error(429, "rate limit exceeded")  # no Retry-After: X-RateLimit-Reset

    # ------------------------------------------------------------ users/track

    def on_track(self, request: Request, body: Any) -> Response:
        if not isinstance(body, dict) or not any(isinstance(body.get(a), list) for a in ARRAYS):
            return self.error(400, "the body needs attributes, events or purchases arrays")
        counts = [len(body.get(array) or []) for array in ARRAYS]
        over = (
            sum(counts) > TRACK_OBJECTS
            if self.objects_mode == "total"
            else max(counts) > TRACK_OBJECTS
        )
        if over:
            return self.error(400, f"too many objects: at most {TRACK_OBJECTS} per request")
        errors: list[dict[str, Any]] = []
        processed = {array: 0 for array in ARRAYS}
        with self.lock:
            for index, item in enumerate(body.get("attributes") or []):
                problem = self._attributes(item)
                if problem:
                    errors.append({"type": problem, "input_array": "attributes", "index": index})
                else:
                    processed["attributes"] += 1
            for index, item in enumerate(body.get("events") or []):
                problem = self._event(item)
                if problem:
                    errors.append({"type": problem, "input_array": "events", "index": index})
                else:
                    processed["events"] += 1
        if not any(processed.values()):
            return json_response(400, {"message": "no object was valid", "errors": errors})
        answer: dict[str, Any] = {"message": "success"}
        answer.update({f"{a}_processed": n for a, n in processed.items() if n})
        if errors:
            answer["errors"] = errors
        return json_response(201, answer)

    def _attributes(self, item: Any) -> str | None:
        if not isinstance(item, dict) or not isinstance(item.get("external_id"), str):
            return "'external_id' or 'braze_id' or 'user_alias' is required"
        email = item.get("email")
        if email is not None and not (isinstance(email, str) and EMAIL.match(email)):
            return f"Invalid email: {email!r}"
        external_id = item["external_id"]
        user = self.users.get(external_id)
        if user is None:
            if item.get("_update_existing_only"):
                return None  # nothing to update: skipped, as documented
            user = self.users[external_id] = {"external_id": external_id}
        for name, value in item.items():
            if name in ("external_id", "_update_existing_only"):
                continue
            if isinstance(value, dict) and set(value) <= {"add", "remove"}:
                current = list(user.get(name) or [])
                current += [v for v in value.get("add") or [] if v not in current]
                user[name] = [v for v in current if v not in (value.get("remove") or [])]
            elif value is None:
                user.pop(name, None)
            else:
                user[name] = value
        return None

    def _event(self, item: Any) -> str | None:
        if not isinstance(item, dict) or not isinstance(item.get("external_id"), str):
            return "'external_id' or 'braze_id' or 'user_alias' is required"
        if not item.get("name") or not item.get("time"):
            return "events need a name and a time"
        self.events.append(dict(item))
        return None

    # -------------------------------------------------------- transactional

    def on_send(self, request: Request, body: Any, campaign_id: str) -> Response:
        if campaign_id not in self.campaigns:
            return self.error(404, f"campaign {campaign_id} not found")
        recipient = (body or {}).get("recipient") or {}
        if not isinstance(recipient.get("external_user_id"), str):
            return self.error(400, "recipient.external_user_id is required")
        send_id = (body or {}).get("external_send_id")
        now = time.time()
        with self.lock:
            seen = self.dispatches.get(send_id) if send_id else None
            if seen is not None and now - seen["at"] < SEND_DEDUP_SECONDS:
                return json_response(201, {"dispatch_id": seen["dispatch_id"], "status": "queued"})
            dispatch = {"dispatch_id": uuid.uuid4().hex, "at": now}
            if send_id:
                self.dispatches[send_id] = dispatch
            self.deliveries.append(
                {
                    "campaign_id": campaign_id,
                    "external_send_id": send_id,
                    "external_user_id": recipient["external_user_id"],
                    "trigger_properties": (body or {}).get("trigger_properties") or {},
                }
            )
        return json_response(201, {"dispatch_id": dispatch["dispatch_id"], "status": "queued"})

    # ------------------------------------------------------- export / delete

    def on_export_ids(self, request: Request, body: Any) -> Response:
        email = str((body or {}).get("email_address") or "").lower()
        if not email:
            return self.error(
                400, "email_address, external_ids, user_aliases or braze_id is required"
            )
        with self.lock:
            users = [
                {"external_id": user["external_id"], "braze_id": f"braze-{user['external_id']}"}
                for user in self.users.values()
                if str(user.get("email", "")).lower() == email
            ]
        return json_response(201, {"users": users, "message": "success"})

    def on_delete_users(self, request: Request, body: Any) -> Response:
        external_ids = list((body or {}).get("external_ids") or [])
        braze_ids = [str(b).removeprefix("braze-") for b in (body or {}).get("braze_ids") or []]
        if len(external_ids) + len(braze_ids) > 50:
            return self.error(400, "at most 50 users per request")
        with self.lock:
            deleted = [i for i in {*external_ids, *braze_ids} if self.users.pop(i, None)]
            self.events = [e for e in self.events if e.get("external_id") not in deleted]
        return json_response(201, {"deleted": len(deleted), "message": "success"})

    # ---------------------------------------------------------- unsubscribes

    def on_unsubscribes(self, request: Request, body: Any) -> Response:
        limit = request.args.get("limit", default=100, type=int)
        if not 1 <= limit <= 500:
            return self.error(400, "limit must be between 1 and 500")
        offset = request.args.get("offset", default=0, type=int)
        start = request.args.get("start_date")
        end = request.args.get("end_date")
        with self.lock:
            rows = sorted(self.unsubscribed.items(), key=lambda item: (item[1], item[0]))
        if start:
            rows = [r for r in rows if r[1].date() >= date.fromisoformat(start)]
        if end:
            rows = [r for r in rows if r[1].date() <= date.fromisoformat(end)]
        if request.args.get("sort_direction") == "desc":
            rows.reverse()
        page = [
            {"email": email, "unsubscribed_at": at.isoformat().replace("+00:00", "Z")}
            for email, at in rows[offset : offset + limit]
        ]
        return json_response(200, {"emails": page, "message": "success"})

    # ------------------------------------------------------------- inspection

    def unsubscribe(self, email: str, at: datetime | None = None) -> None:
        """An unsubscribe made in Braze (the user's ``email_subscribe`` becomes unsubscribed)."""
        with self.lock:
            self.unsubscribed[email.lower()] = at or datetime.now(UTC)
            for user in self.users.values():
                if str(user.get("email", "")).lower() == email.lower():
                    user["email_subscribe"] = "unsubscribed"

    def members(self, list_name: str, attribute: str = "nudge_lists") -> set[str]:
        """external_ids of the users whose ``attribute`` array holds ``list_name``."""
        with self.lock:
            return {
                external_id
                for external_id, user in self.users.items()
                if list_name in (user.get(attribute) or [])
            }
