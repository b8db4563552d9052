"""Simulated email messages of Customer.io campaigns, as the App API's ``GET /v1/messages``
lists them: an event whose name starts a campaign (``campaigns``: event name -> campaign
id) sends one email, whose metrics (delivered, opened, clicked, bounced, unsubscribed,
spammed; Unix seconds) come from the sandbox framework's deterministic engagement model
(``activation.sandbox.framework.engagement.outcome``), so the same sends give the same
engagement on every ESP."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from ....sandbox.framework.engagement import (
    BOUNCED,
    CLICKED,
    OPENED,
    RECEIVED,
    SPAM,
    UNSUBSCRIBED,
    EngagementConfig,
    Send,
    outcome,
)

METRIC_NAMES = {
    RECEIVED: "delivered",
    OPENED: "opened",
    CLICKED: "clicked",
    BOUNCED: "bounced",
    UNSUBSCRIBED: "unsubscribed",
    SPAM: "spammed",
}


def simulated_message(
    config: EngagementConfig,
    campaign_id: int,
    person: dict[str, Any],
    event: dict[str, Any],
) -> dict[str, Any]:
    """The message the campaign sends for ``event`` (a recorded Track API event)."""
    stamp = event.get("timestamp")
    sent = datetime.fromtimestamp(int(stamp), UTC) if stamp else datetime.now(UTC)
    send = Send(
        profile_id=str(event["customer_id"]),
        email=person.get("email"),
        metric=str(event["name"]),
        # a ULID's last 16 characters are its random part: the same for each try of one send
        # (the sends derive it from the send key), whatever time the event carries
        unique_id=str(event["id"])[10:] if event.get("id") else None,
        time=sent,
        properties=dict(event.get("data") or {}),
    )
    seed = f"{campaign_id}|{event.get('id') or event['customer_id']}|{sent.isoformat()}"
    metrics = {"sent": int(sent.timestamp())}
    for metric, moment in outcome(config, send):
        metrics[METRIC_NAMES[metric]] = int(moment.timestamp())
    return {
        "id": hashlib.sha256(seed.encode()).hexdigest()[:24],
        "type": "email",
        "campaign_id": campaign_id,
        "customer_id": str(event["customer_id"]),
        "customer_identifiers": {
            "id": str(event["customer_id"]),
            "email": person.get("email"),
            "cio_id": hashlib.sha256(str(event["customer_id"]).encode()).hexdigest()[:12],
        },
        "recipient": person.get("email"),
        "created": int(sent.timestamp()),
        "metrics": metrics,
    }
