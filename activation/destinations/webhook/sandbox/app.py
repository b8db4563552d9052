"""A receiver for Nudge's generic signed webhook (the contract in
docs/webhook_contract.md), written from that contract, not from the sender:

- refuses (401) a missing or wrong ``X-Nudge-Signature`` (``v1=`` HMAC-SHA256 of
  ``"<timestamp>.<body>"``, compared in constant time) and a ``X-Nudge-Timestamp`` more
  than ``tolerance`` seconds (default 5 minutes) from its clock (replay protection);
- answers a repeated ``Idempotency-Key`` with the first answer, applying nothing again;
- applies ``profiles.upsert`` / ``list_members.add`` / ``list_members.remove`` /
  ``events.track`` (events kept once per ``unique_id``) / ``contacts.erase``, and lists
  the records it rejects (``reject_emails``) as ``{"failed": [{key, reason}]}``.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ....sandbox.framework import Refused, SandboxApp, json_response

TOLERANCE_SECONDS = 300.0
TYPES = (
    "profiles.upsert",
    "list_members.add",
    "list_members.remove",
    "events.track",
    "contacts.erase",
)


class WebhookReceiverApp(SandboxApp):
    max_body_bytes = 1024 * 1024 + 64 * 1024
    routes = Map([Rule("/<path:hook>", endpoint="hook", methods=["POST"])])

    def __init__(
        self,
        secret: str,
        *,
        tolerance: float = TOLERANCE_SECONDS,
        clock: Callable[[], float] = time.time,
        reject_emails: tuple[str, ...] = (),
    ) -> None:
        super().__init__()
        self._secret = secret.encode()
        self.tolerance = tolerance
        self.clock = clock
        self.reject_emails = {email.lower() for email in reject_emails}
        self.answers: dict[str, tuple[int, Any]] = {}  # Idempotency-Key -> first answer
        self.replayed = 0
        self.profiles: dict[str, dict[str, Any]] = {}
        self.lists: dict[str, set[str]] = {}
        self.events: dict[str, dict[str, Any]] = {}

    def error(self, status: int, detail: str) -> Response:
        return json_response(status, {"error": detail})

    def authenticate(self, request: Request) -> None:
        timestamp = request.headers.get("X-Nudge-Timestamp", "")
        given = request.headers.get("X-Nudge-Signature", "")
        if not timestamp.isdigit() or not given:
            raise Refused(self.error(401, "missing X-Nudge-Timestamp or X-Nudge-Signature"))
        if abs(self.clock() - int(timestamp)) > self.tolerance:
            raise Refused(self.error(401, "timestamp outside the tolerance (a replay?)"))
        payload = timestamp.encode() + b"." + request.get_data(cache=True)
        expected = "v1=" + hmac.new(self._secret, payload, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise Refused(self.error(401, "signature mismatch"))

    def on_hook(self, request: Request, body: Any, hook: str) -> Response:
        key = request.headers.get("Idempotency-Key")
        if not key:
            return self.error(400, "Idempotency-Key is required")
        if not isinstance(body, dict) or body.get("type") not in TYPES:
            return self.error(400, f"type must be one of {', '.join(TYPES)}")
        records = body.get("records")
        if not isinstance(records, list) or not all(
            isinstance(r, dict) and r.get("key") for r in records
        ):
            return self.error(400, "records must be objects with a key")
        with self.lock:
            if key in self.answers:
                self.replayed += 1
                status, answer = self.answers[key]
                return json_response(status, answer)
            failed = self._apply(body["type"], body.get("list"), records)
            answer = {"failed": failed} if failed else {}
            self.answers[key] = (200, answer)
        return json_response(200, answer)

    def _apply(
        self, kind: str, list_name: Any, records: list[dict[str, Any]]
    ) -> list[dict[str, str]]:
        failed = []
        for record in records:
            email = str(record.get("email") or "").lower()
            if email in self.reject_emails:
                failed.append({"key": record["key"], "reason": f"{email} is blocked here"})
                continue
            if kind == "profiles.upsert":
                self.profiles[record["key"]] = record
                if list_name:
                    self.lists.setdefault(list_name, set()).add(record["key"])
            elif kind == "list_members.add":
                self.lists.setdefault(str(list_name), set()).add(record["key"])
            elif kind == "list_members.remove":
                self.lists.setdefault(str(list_name), set()).discard(record["key"])
            elif kind == "contacts.erase":
                self._erase(email)
            else:
                self.events.setdefault(str(record.get("unique_id")), record)
        return failed

    def _erase(self, email: str) -> None:
        held = {k for k, p in self.profiles.items() if str(p.get("email") or "").lower() == email}
        for key in held:
            del self.profiles[key]
        for members in self.lists.values():
            members.difference_update(held)
        self.events = {
            u: e for u, e in self.events.items() if str(e.get("email") or "").lower() != email
        }
