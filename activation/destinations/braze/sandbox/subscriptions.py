"""Braze subscription groups, as the contract server keeps them (mixed into ``BrazeApp``).

- ``POST /subscription/status/set``: ``subscription_group_id``, ``subscription_state``
  (``subscribed`` / ``unsubscribed``) and up to 50 ``external_id`` (or ``email``) — how a
  preference page, or a test, changes a user's group.
- ``GET /subscription/user/status?external_id[]=…`` (1 to 50 ids, ``limit`` ≤ 100,
  ``offset``): per user, the groups the user has a status in
  (``users[]: {external_id, email, phone, subscription_groups: [{id, name, channel, status}]}``,
  ``total_count``, ``message``); a group the user never had a status in is not listed.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from ....sandbox.framework import json_response

MAX_USERS = 50
MAX_LIMIT = 100
STATES = {"subscribed": "Subscribed", "unsubscribed": "Unsubscribed"}


class SubscriptionGroups:
    """Needs ``lock``, ``users`` (external_id -> attributes) and ``error`` of the app."""

    lock: threading.RLock
    users: dict[str, dict[str, Any]]
    group_names: dict[str, str]  # the workspace's email subscription groups: id -> name
    group_status: dict[str, dict[str, str]]  # external_id -> group id -> status

    if TYPE_CHECKING:  # SandboxApp's, after this class in BrazeApp's bases

        def error(self, status: int, detail: str) -> Response: ...

    def on_subscription_set(self, request: Request, body: Any) -> Response:
        body = body if isinstance(body, dict) else {}
        group = body.get("subscription_group_id")
        state = STATES.get(str(body.get("subscription_state", "")).lower())
        if group not in self.group_names:
            return self.error(400, f"subscription_group_id {group!r} not found")
        if state is None:
            return self.error(400, "subscription_state must be 'subscribed' or 'unsubscribed'")
        ids, emails = _listed(body.get("external_id")), _listed(body.get("email"))
        if (not ids and not emails) or len(ids) > MAX_USERS or len(emails) > MAX_USERS:
            return self.error(400, f"give 1 to {MAX_USERS} external_id or email")
        with self.lock:
            addressed = set(ids) | {
                external_id
                for external_id, user in self.users.items()
                if str(user.get("email", "")).lower() in {e.lower() for e in emails}
            }
            for external_id in addressed:
                self.group_status.setdefault(external_id, {})[group] = state
        return json_response(201, {"message": "success"})

    def on_subscription_user_status(self, request: Request, body: Any) -> Response:
        ids = request.args.getlist("external_id[]") or request.args.getlist("external_id")
        if not 1 <= len(ids) <= MAX_USERS:
            return self.error(400, f"external_id: give at least 1 and at most {MAX_USERS}")
        limit = request.args.get("limit", default=MAX_LIMIT, type=int)
        if not 1 <= limit <= MAX_LIMIT:
            return self.error(400, f"limit must be between 1 and {MAX_LIMIT}")
        offset = request.args.get("offset", default=0, type=int)
        with self.lock:
            users = [self._user_groups(external_id) for external_id in ids]
        found = [user for user in users if user is not None]
        return json_response(
            200,
            {
                "users": found[offset : offset + limit],
                "total_count": len(found),
                "message": "success",
            },
        )

    def _user_groups(self, external_id: str) -> dict[str, Any] | None:
        user = self.users.get(external_id)
        if user is None:
            return None
        groups = self.group_status.get(external_id, {})
        return {
            "email": user.get("email"),
            "phone": user.get("phone"),
            "external_id": external_id,
            "subscription_groups": [
                {"id": group, "name": self.group_names[group], "channel": "email", "status": status}
                for group, status in sorted(groups.items())
            ],
        }


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(item) for item in (value if isinstance(value, list) else [value])]
