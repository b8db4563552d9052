"""Read engagement events from Klaviyo's ``GET /api/events``: filtered on ``datetime``
(``since`` inclusive, ``until`` exclusive), sorted by it, with the metric and the profile
included so each event names its metric and the profile's external_id (our contact_id)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from ..destinations.responses import json_body
from ..http import ApiClient

PAGE_SIZE = 1000  # the spec's maximum page[size] for GET /api/events
# Klaviyo's engagement metrics (shared/specs: "Engagement read-back")
ENGAGEMENT_METRICS = (
    "Received Email",
    "Opened Email",
    "Clicked Email",
    "Bounced Email",
    "Unsubscribed",
    "Marked Email as Spam",
)


@dataclass(frozen=True)
class EspEvent:
    event_id: str
    metric: str
    occurred_at: datetime  # naive UTC
    profile_id: str
    email: str | None
    external_id: str | None
    properties: dict[str, Any]


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
            yield EspEvent(
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
