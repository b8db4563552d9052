"""Simulated email activity of Mailchimp campaigns, as ``GET /reports/{id}/email-activity``
reports it: an event whose name starts a Customer Journey (``campaigns``: event name ->
the campaign id of its email) sends that email, whose opens, clicks and bounces come from
the sandbox framework's deterministic engagement model
(``activation.sandbox.framework.engagement.outcome``). Mailchimp reports no delivery time;
an unsubscribe or a spam complaint changes the member's status (unsubscribed), a bounce
cleans the address, as Mailchimp does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ....sandbox.framework.engagement import (
    BOUNCED,
    CLICKED,
    OPENED,
    SPAM,
    UNSUBSCRIBED,
    EngagementConfig,
    Send,
    outcome,
)

ACTIONS = {OPENED: "open", CLICKED: "click", BOUNCED: "bounce"}
STATUS_AFTER = {BOUNCED: "cleaned", UNSUBSCRIBED: "unsubscribed", SPAM: "unsubscribed"}
CLICKED_URL = "https://shop.example.com/"


def simulated_activity(
    config: EngagementConfig, member: dict[str, Any], event: dict[str, Any]
) -> tuple[list[dict[str, Any]], str | None]:
    """(the email's activity records, the member's status after it, if it changes) for
    ``event`` (a ``POST …/members/{hash}/events`` body)."""
    properties = dict(event.get("properties") or {})
    stamp = event.get("occurred_at")
    sent = datetime.fromisoformat(str(stamp).replace("Z", "+00:00")) if stamp else datetime.now(UTC)
    send = Send(
        profile_id=str(member["id"]),
        email=member.get("email_address"),
        metric=str(event["name"]),
        unique_id=properties.get("send_key"),
        time=sent.astimezone(UTC),
        properties=properties,
    )
    activity: list[dict[str, Any]] = []
    status = None
    for metric, moment in outcome(config, send):
        status = STATUS_AFTER.get(metric, status)
        action = ACTIONS.get(metric)
        if action is None:
            continue
        record: dict[str, Any] = {
            "action": action,
            "timestamp": moment.astimezone(UTC).isoformat(timespec="seconds"),
            "ip": "203.0.113.7",
        }
        if action == "click":
            record["url"] = CLICKED_URL
        if action == "bounce":
            record["type"] = "hard"
        activity.append(record)
    return activity, status
