"""Read engagement events from Klaviyo's ``GET /api/events``: filtered on ``datetime``
(``since`` inclusive, ``until`` exclusive), sorted by it, with the metric and the profile
included so each event names its metric and the profile's external_id (our contact_id).
Klaviyo's flow echoes the tracked event's properties, so each event names its send."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from ...engagement.events import (
    BOUNCED,
    CLICKED,
    COMPLAINED,
    DELIVERED,
    OPENED,
    SEND_PROPERTIES,
    UNSUBSCRIBED,
    EspEvent,
)
from ...http import ApiClient
from ...settings import DestinationSettings
from ..responses import json_body
from .client import KlaviyoDestination

PAGE_SIZE = 1000  # the spec's maximum page[size] for GET /api/events
# Klaviyo's engagement metrics (its specs/: "Engagement read-back") as raw events
RAW_EVENT_NAMES = {
    "Received Email": DELIVERED,
    "Opened Email": OPENED,
    "Clicked Email": CLICKED,
    "Bounced Email": BOUNCED,
    "Unsubscribed": UNSUBSCRIBED,
    "Marked Email as Spam": COMPLAINED,
}
ENGAGEMENT_METRICS = tuple(RAW_EVENT_NAMES)


class KlaviyoEngagement:
    """The engagement reader of a Klaviyo account (activation/engagement/readers.py)."""

    def __init__(self, settings: DestinationSettings) -> None:
        self.destination = KlaviyoDestination(settings)
        self.client = self.destination.client

    def read(self, since: datetime | None, until: datetime) -> Iterator[EspEvent]:
        return read_events(self.client, since, until)

    def close(self) -> None:
        self.destination.close()


def klaviyo_event(
    *,
    event_id: str,
    metric: str,
    occurred_at: datetime,
    profile_id: str,
    email: str | None,
    external_id: str | None,
    properties: dict[str, Any],
) -> EspEvent:
    """A Klaviyo engagement event (``metric``, ``event_properties``) in the raw contract's
    terms. Klaviyo's ``$message`` is the flow message: for our sends, the tracked event's
    unique_id, which is the send_key."""
    feedback: dict[str, Any] = {
        "email_id": properties.get("$message") or properties.get("$event_id") or event_id,
        "esp_metric": metric,
    }
    feedback.update(
        {name: properties[name] for name in SEND_PROPERTIES if properties.get(name) is not None}
    )
    if feedback.get("send_key") is None and properties.get("$message"):
        feedback["send_key"] = properties["$message"]
    if metric == "Clicked Email" and properties.get("URL"):
        feedback["link_url"] = properties["URL"]
    if metric == "Bounced Email":
        bounce_type = str(properties.get("Bounce Type") or "hard").lower()
        feedback["bounce_type"] = "soft" if bounce_type.startswith("soft") else "hard"
    return EspEvent(
        event_id=event_id,
        event=RAW_EVENT_NAMES[metric],
        occurred_at=occurred_at,
        profile_id=profile_id,
        email=email,
        external_id=external_id,
        properties=feedback,
    )


def _stamp(moment: datetime) -> str:
    return moment.replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%SZ")


def _next_whole_second(moment: datetime) -> datetime:
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + timedelta(seconds=1)


def _utc_naive(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def read_events(client: ApiClient, since: datetime | None, until: datetime) -> Iterator[EspEvent]:
    """Every engagement event with ``since <= datetime < until``, page by page. The filter
    takes whole seconds, so ``until`` is rounded up: an event stamped in the pull's own
    second is read now (the next window re-reads the lookback anyway, de-duplicated)."""
    window = f"less-than(datetime,{_stamp(_next_whole_second(until))})"
    if since is not None:
        window = f"greater-or-equal(datetime,{_stamp(since)}),{window}"
    params: dict[str, str] | None = {
        "filter": window,
        "sort": "datetime",
        "include": "metric,profile",
        "page[size]": str(PAGE_SIZE),
    }
    path: str | None = "/api/events"
    while path:
        page = json_body(
            client.request("GET", path, params=params), "klaviyo", secrets=client.secrets
        )
        metrics: dict[str, str] = {}
        profiles: dict[str, dict[str, Any]] = {}
        for item in page.get("included") or []:
            if item.get("type") == "metric":
                metrics[str(item["id"])] = str((item.get("attributes") or {}).get("name"))
            elif item.get("type") == "profile":
                profiles[str(item["id"])] = item.get("attributes") or {}
        for event in page.get("data") or []:
            relationships = event.get("relationships") or {}
            metric_id = str(relationships["metric"]["data"]["id"])
            metric = metrics.get(metric_id)
            if metric not in ENGAGEMENT_METRICS:
                continue  # the sends themselves and any other metric
            profile_id = str(relationships["profile"]["data"]["id"])
            profile = profiles.get(profile_id, {})
            attributes = event.get("attributes") or {}
            yield klaviyo_event(
                event_id=str(event["id"]),
                metric=str(metric),
                occurred_at=_utc_naive(str(attributes["datetime"])),
                profile_id=profile_id,
                email=profile.get("email"),
                external_id=profile.get("external_id"),
                properties=dict(attributes.get("event_properties") or {}),
            )
        link = (page.get("links") or {}).get("next")
        if not link:
            return
        parts = urlsplit(link)
        path = f"{parts.path}?{parts.query}" if parts.query else parts.path
        params = None
