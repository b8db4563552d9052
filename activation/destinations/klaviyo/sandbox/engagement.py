"""Simulated engagement as Klaviyo records it (the model: ``framework.engagement``): each
outcome becomes an event of the profile, readable through ``GET /api/events``, and a
bounce, an unsubscribe or a spam complaint also suppresses the profile, as Klaviyo does, so
the suppression read-back sees it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ....sandbox.framework.engagement import (
    BOUNCED,
    CLICKED,
    ECHOED_PROPERTIES,
    SPAM,
    UNSUBSCRIBED,
    EngagementConfig,
    Send,
    is_send,
    outcome,
)
from .store import Store, _parse_time

SUPPRESSION_BY_METRIC = {
    BOUNCED: "HARD_BOUNCE",
    UNSUBSCRIBED: "UNSUBSCRIBE",
    SPAM: "SPAM_COMPLAINT",
}


def simulate(store: Store, config: EngagementConfig | None, send: Send) -> int:
    """Record the engagement of one send (idempotent: each engagement event carries a
    unique_id derived from the send); returns how many events were new."""
    if config is None or not config.enabled or not is_send(config, send.metric):
        return 0
    recorded = 0
    domain = (send.email or "").rpartition("@")[2] or None
    for metric, moment in outcome(config, send):
        properties: dict[str, Any] = {
            "$flow": send.metric,
            "$message": send.unique_id,
            "Campaign Name": send.metric,
            "Subject": f"{send.metric}",
            "Email Domain": domain,
        }
        for name in (*ECHOED_PROPERTIES, config.variant_property):
            if send.properties.get(name) is not None:
                properties[name] = send.properties[name]
        if metric == CLICKED:
            properties["URL"] = "https://shop.example.com/"
        new = store.record_event(
            metric_name=metric,
            profile_id=send.profile_id,
            properties=properties,
            time=moment.isoformat(),
            value=None,
            value_currency=None,
            unique_id=f"{send.unique_id or send.time.isoformat()}:{metric}",
        )
        recorded += int(new)
        reason = SUPPRESSION_BY_METRIC.get(metric)
        if new and reason is not None:
            store.suppress_profile(send.profile_id, reason, moment)
    return recorded


def send_from_request(profile: dict[str, Any], attributes: dict[str, Any], metric: str) -> Send:
    """The send a ``POST /api/events`` body describes (after its profile was resolved)."""
    raw_time = attributes.get("time")
    when = _parse_time(raw_time) if raw_time else datetime.now(UTC)
    return Send(
        profile_id=str(profile["id"]),
        email=profile.get("email"),
        metric=metric,
        unique_id=attributes.get("unique_id"),
        time=when.astimezone(UTC),
        properties=dict(attributes.get("properties") or {}),
    )
