"""A Mailchimp Marketing API v3 contract server: the shapes and limits Nudge relies on.

- HTTP Basic (any user, the API key as password); errors as ``application/problem+json``
  ``{type, title, status, detail, instance}``; about 10 concurrent connections (429 over).
- Audiences exist beforehand (``audiences=``); members are addressed by ``subscriber_hash``
  (MD5 of the lowercased email). ``PUT /lists/{id}/members/{hash}`` upserts one;
  ``POST /lists/{id}`` ``{"members": [...], "update_existing": true}`` up to 500, answering
  200 with per-member ``errors[]``. A member unsubscribed or cleaned cannot be subscribed
  again through the API (``MEMBER_IN_COMPLIANCE_STATE``).
- Static segments: ``GET``/``POST /lists/{id}/segments``, ``POST /lists/{id}/segments/{seg}``
  ``{"members_to_add": [...], "members_to_remove": [...]}`` up to 500 each; an address not in
  the audience is an error for that address.
- ``POST /lists/{id}/members/{hash}/events`` (name 2-30 characters): 204, no idempotency.
- ``GET /lists/{id}/members?status=&since_last_changed=&count=&offset=``; ``GET /lists``.
- ``POST /lists/{id}/members/{hash}/actions/delete-permanent``: 204 (404 if not a member).
- ``GET /reports/{campaign}/email-activity?since=&count=&offset=``: per recipient, the
  opens, clicks and bounces from ``since`` on (404 for an unknown campaign). With
  ``engagement`` and ``campaigns`` (event name -> campaign id), each event of a campaign's
  name sends its email and simulates its activity (activity.py).
"""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
from datetime import UTC, datetime
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ....sandbox.framework import Refused, SandboxApp, json_response
from ....sandbox.framework.auth import basic_credentials, same_secret
from ....sandbox.framework.engagement import EngagementConfig
from .activity import simulated_activity

BULK_MEMBERS = 500
SEGMENT_MEMBERS = 500
MAX_CONNECTIONS = 10
STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending", "transactional")
COMPLIANCE = ("unsubscribed", "cleaned")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PROBLEM = "application/problem+json"


def subscriber_hash(email: str) -> str:
    return hashlib.md5(email.strip().lower().encode()).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class MailchimpApp(SandboxApp):
    routes = Map(
        [
            Rule("/3.0/lists", endpoint="lists", methods=["GET"]),
            Rule("/3.0/lists/<list_id>", endpoint="bulk", methods=["POST"]),
            Rule(
                "/3.0/lists/<list_id>/members/<member>/actions/delete-permanent",
                endpoint="delete_permanent",
                methods=["POST"],
            ),
            Rule("/3.0/lists/<list_id>/members", endpoint="members", methods=["GET"]),
            Rule("/3.0/lists/<list_id>/members/<member>", endpoint="put_member", methods=["PUT"]),
            Rule(
                "/3.0/lists/<list_id>/members/<member>/events", endpoint="event", methods=["POST"]
            ),
            Rule("/3.0/lists/<list_id>/segments", endpoint="segments", methods=["GET", "POST"]),
            Rule(
                "/3.0/lists/<list_id>/segments/<int:segment_id>",
                endpoint="segment_members",
                methods=["POST"],
            ),
            Rule(
                "/3.0/reports/<campaign_id>/email-activity",
                endpoint="email_activity",
                methods=["GET"],
            ),
        ]
    )

    def __init__(
        self,
        api_key: str,
        *,
        audiences: tuple[str, ...] = ("aud0001",),
        max_connections: int = MAX_CONNECTIONS,
        campaigns: dict[str, str] | None = None,
        engagement: EngagementConfig | None = None,
    ) -> None:
        super().__init__()
        self._key = api_key
        self.members: dict[str, dict[str, dict[str, Any]]] = {a: {} for a in audiences}
        self.segments: dict[str, dict[int, dict[str, Any]]] = {a: {} for a in audiences}
        self.events: list[dict[str, Any]] = []
        self._ids = itertools.count(1001)
        self._connections = threading.BoundedSemaphore(max_connections)
        self.max_connections = max_connections
        self.campaigns = dict(campaigns or {})
        self.engagement = engagement
        # campaign -> (list, member hash) -> activity records
        self.activity: dict[str, dict[tuple[str, str], list[dict[str, Any]]]] = {
            campaign: {} for campaign in self.campaigns.values()
        }

    def error(self, status: int, detail: str, title: str | None = None) -> Response:
        titles = {400: "Invalid Resource", 401: "API Key Invalid", 404: "Resource Not Found"}
        problem = {
            "type": "https://mailchimp.com/developer/marketing/docs/errors/",
            "title": title or titles.get(status, "Error"),
            "status": status,
            "detail": detail,
            "instance": "sandbox",
        }
        return json_response(status, problem, PROBLEM)

    def authenticate(self, request: Request) -> None:
        credentials = basic_credentials(request)  # any user name, the key as password
        if credentials is None or not same_secret(credentials[1], self._key):
            raise Refused(
                self.error(
                    401,
                    "Your API key may be invalid, or you've attempted to access the wrong "
                    "datacenter.",
                )
            )

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        """About 10 connections at once per account; more get a 429."""
        if not self._connections.acquire(blocking=False):
            response = self.error(
                429,
                "You have exceeded the limit of 10 simultaneous connections.",
                "Too Many Requests",
            )
            return response(environ, start_response)
        try:
            return super().__call__(environ, start_response)
        finally:
            self._connections.release()

    def _audience(self, list_id: str) -> dict[str, dict[str, Any]]:
        if list_id not in self.members:
            raise Refused(
                self.error(404, f"The requested resource could not be found: list {list_id}.")
            )
        return self.members[list_id]

    # ---------------------------------------------------------------- members

    def _upsert(
        self, audience: dict[str, dict[str, Any]], item: Any, update: bool
    ) -> tuple[str, dict[str, Any] | None, str | None]:
        """(created|updated|error, member, error code: message)."""
        email = item.get("email_address") if isinstance(item, dict) else None
        if not isinstance(email, str) or not EMAIL.match(email):
            return (
                "error",
                None,
                f"ERROR_GENERIC: {email} looks fake or invalid, please enter a real email address.",
            )
        status = item.get("status") or item.get("status_if_new")
        if status not in STATUSES:
            return "error", None, f"ERROR_GENERIC: status must be one of {', '.join(STATUSES)}"
        key = subscriber_hash(email)
        member = audience.get(key)
        if member is not None and not update:
            return "error", None, f"ERROR_CONTACT_EXISTS: {email} is already a list member."
        if (
            member is not None
            and member["status"] in COMPLIANCE
            and item.get("status") == "subscribed"
        ):
            return (
                "error",
                None,
                (
                    f"MEMBER_IN_COMPLIANCE_STATE: {email} is in a compliance state due to "
                    f"unsubscribe, bounce, or compliance review and cannot be subscribed."
                ),
            )
        created = member is None
        if member is None:
            member = audience[key] = {
                "id": key,
                "email_address": email,
                "status": status,
                "merge_fields": {},
                "tags": [],
                "last_changed": _now(),
            }
        elif item.get("status") and item["status"] != member["status"]:
            member["status"] = item["status"]
            member["last_changed"] = _now()
        member["merge_fields"].update(item.get("merge_fields") or {})
        return ("created" if created else "updated"), member, None

    def on_bulk(self, request: Request, body: Any, list_id: str) -> Response:
        audience = self._audience(list_id)
        items = (body or {}).get("members")
        if not isinstance(items, list):
            return self.error(400, "members is required")
        if len(items) > BULK_MEMBERS:
            return self.error(400, f"at most {BULK_MEMBERS} members per call, got {len(items)}")
        answer: dict[str, Any] = {"new_members": [], "updated_members": [], "errors": []}
        with self.lock:
            for item in items:
                outcome, member, problem = self._upsert(
                    audience, item, bool(body.get("update_existing"))
                )
                if problem:
                    code, _, message = problem.partition(": ")
                    email = item.get("email_address") if isinstance(item, dict) else None
                    answer["errors"].append(
                        {"email_address": email, "error": message, "error_code": code}
                    )
                else:
                    answer["new_members" if outcome == "created" else "updated_members"].append(
                        dict(member or {})
                    )
        answer.update(
            total_created=len(answer["new_members"]),
            total_updated=len(answer["updated_members"]),
            error_count=len(answer["errors"]),
        )
        return json_response(200, answer)

    def on_put_member(self, request: Request, body: Any, list_id: str, member: str) -> Response:
        audience = self._audience(list_id)
        email = str((body or {}).get("email_address") or "")
        if subscriber_hash(email) != member:
            return self.error(400, "The subscriber hash does not match the email address.")
        with self.lock:
            _, found, problem = self._upsert(audience, body, True)
        if problem:
            return self.error(
                400,
                problem.partition(": ")[2],
                "Member In Compliance State" if "COMPLIANCE" in problem else None,
            )
        return json_response(200, found)

    def on_members(self, request: Request, body: Any, list_id: str) -> Response:
        audience = self._audience(list_id)
        status = request.args.get("status")
        since = request.args.get("since_last_changed")
        count = min(request.args.get("count", default=10, type=int), 1000)
        offset = request.args.get("offset", default=0, type=int)
        with self.lock:
            rows = [dict(m) for m in audience.values() if status is None or m["status"] == status]
        if since:
            moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
            rows = [m for m in rows if datetime.fromisoformat(m["last_changed"]) >= moment]
        rows.sort(key=lambda m: m["email_address"])
        return json_response(
            200, {"members": rows[offset : offset + count], "total_items": len(rows)}
        )

    def on_event(self, request: Request, body: Any, list_id: str, member: str) -> Response:
        audience = self._audience(list_id)
        name = (body or {}).get("name")
        if not isinstance(name, str) or not 2 <= len(name) <= 30:
            return self.error(400, "name must be 2 to 30 characters")
        properties = (body or {}).get("properties") or {}
        if not all(isinstance(v, str) for v in properties.values()):
            return self.error(400, "event properties must be strings")
        with self.lock:
            if member not in audience:
                return self.error(404, f"no member {member} in list {list_id}")
            self.events.append({"list_id": list_id, "member": member, **body})
            self._send_campaign(list_id, audience[member], body)
        return Response(status=204)

    def _send_campaign(self, list_id: str, member: dict[str, Any], event: dict[str, Any]) -> None:
        campaign = self.campaigns.get(event["name"])
        if campaign is None or self.engagement is None or not self.engagement.enabled:
            return
        activity, status = simulated_activity(self.engagement, member, event)
        self.activity[campaign].setdefault((list_id, member["id"]), []).extend(activity)
        if status is not None:
            member["status"] = status
            member["last_changed"] = _now()

    def on_email_activity(self, request: Request, body: Any, campaign_id: str) -> Response:
        if campaign_id not in self.activity:
            return self.error(404, f"The requested resource could not be found: {campaign_id}.")
        since = request.args.get("since")
        moment = datetime.fromisoformat(since.replace("Z", "+00:00")) if since else None
        count = min(request.args.get("count", default=10, type=int), 1000)
        offset = request.args.get("offset", default=0, type=int)
        with self.lock:
            emails = []
            for (list_id, key), records in sorted(self.activity[campaign_id].items()):
                kept = [
                    dict(r)
                    for r in records
                    if moment is None or datetime.fromisoformat(r["timestamp"]) >= moment
                ]
                if kept:
                    emails.append(
                        {
                            "campaign_id": campaign_id,
                            "list_id": list_id,
                            "list_is_active": True,
                            "email_id": key,
                            "email_address": self.members[list_id]
                            .get(key, {})
                            .get("email_address"),
                            "activity": kept,
                        }
                    )
        return json_response(
            200,
            {
                "emails": emails[offset : offset + count],
                "campaign_id": campaign_id,
                "total_items": len(emails),
            },
        )

    def on_lists(self, request: Request, body: Any) -> Response:
        count = min(request.args.get("count", default=10, type=int), 1000)
        offset = request.args.get("offset", default=0, type=int)
        ids = sorted(self.members)
        page = [{"id": list_id} for list_id in ids[offset : offset + count]]
        return json_response(200, {"lists": page, "total_items": len(ids)})

    def on_delete_permanent(
        self, request: Request, body: Any, list_id: str, member: str
    ) -> Response:
        audience = self._audience(list_id)
        with self.lock:
            if audience.pop(member, None) is None:
                return self.error(404, f"no member {member} in list {list_id}")
            for segment in self.segments[list_id].values():
                segment["members"].discard(member)
            self.events = [
                e for e in self.events if (e["list_id"], e["member"]) != (list_id, member)
            ]
            for activity in self.activity.values():
                activity.pop((list_id, member), None)
        return Response(status=204)

    # --------------------------------------------------------------- segments

    def on_segments(self, request: Request, body: Any, list_id: str) -> Response:
        audience = self._audience(list_id)
        segments = self.segments[list_id]
        if request.method == "GET":
            kind = request.args.get("type")
            count = min(request.args.get("count", default=10, type=int), 1000)
            offset = request.args.get("offset", default=0, type=int)
            with self.lock:
                rows = [self._segment(s) for s in segments.values() if kind in (None, s["type"])]
            return json_response(
                200, {"segments": rows[offset : offset + count], "total_items": len(rows)}
            )
        name = (body or {}).get("name")
        if not isinstance(name, str) or not name:
            return self.error(400, "name is required")
        emails = (body or {}).get("static_segment")
        if not isinstance(emails, list):
            return self.error(
                400, "static_segment (a list of emails) is required for a static segment"
            )
        with self.lock:
            segment_id = next(self._ids)
            segment: dict[str, Any] = {"id": segment_id, "name": name, "type": "static"}
            segment["members"] = {
                subscriber_hash(e) for e in emails if subscriber_hash(e) in audience
            }
            segments[segment_id] = segment
            return json_response(200, self._segment(segment))

    @staticmethod
    def _segment(segment: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": segment["id"],
            "name": segment["name"],
            "type": segment["type"],
            "member_count": len(segment["members"]),
        }

    def on_segment_members(
        self, request: Request, body: Any, list_id: str, segment_id: int
    ) -> Response:
        audience = self._audience(list_id)
        segment = self.segments[list_id].get(segment_id)
        if segment is None:
            return self.error(404, f"no segment {segment_id} in list {list_id}")
        adds = (body or {}).get("members_to_add") or []
        removes = (body or {}).get("members_to_remove") or []
        if len(adds) > SEGMENT_MEMBERS or len(removes) > SEGMENT_MEMBERS:
            return self.error(
                400, f"at most {SEGMENT_MEMBERS} members to add and to remove per call"
            )
        answer: dict[str, Any] = {"members_added": [], "members_removed": [], "errors": []}
        not_in_list: list[str] = []
        with self.lock:
            for email in adds:
                key = subscriber_hash(str(email))
                if key not in audience:
                    not_in_list.append(email)
                    continue
                segment["members"].add(key)
                answer["members_added"].append(dict(audience[key]))
            for email in removes:
                key = subscriber_hash(str(email))
                if key in segment["members"]:
                    segment["members"].discard(key)
                    answer["members_removed"].append(dict(audience[key]))
        if not_in_list:
            answer["errors"].append(
                {
                    "email_addresses": not_in_list,
                    "error": "Email addresses are not subscribed to the list",
                }
            )
        answer.update(
            total_added=len(answer["members_added"]),
            total_removed=len(answer["members_removed"]),
            error_count=len(not_in_list),
        )
        return json_response(200, answer)

    # ------------------------------------------------------------- inspection

    def segment_emails(self, list_id: str, name: str) -> set[str]:
        """Lowercased emails in the static segment named ``name``."""
        with self.lock:
            audience = self.members[list_id]
            return {
                audience[key]["email_address"].lower()
                for segment in self.segments[list_id].values()
                if segment["name"] == name
                for key in segment["members"]
            }

    def set_status(self, list_id: str, email: str, status: str) -> None:
        """A change made in Mailchimp (an unsubscribe, a cleaned address)."""
        with self.lock:
            member = self.members[list_id][subscriber_hash(email)]
            member["status"] = status
            member["last_changed"] = _now()
