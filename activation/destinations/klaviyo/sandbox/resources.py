"""Serialize stored rows as JSON:API resource objects shaped per the spec."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .store import PROFILE_FIELDS


def profile_resource(
    profile: dict[str, Any], base: str, *, subscriptions: bool = False
) -> dict[str, Any]:
    attributes: dict[str, Any] = {key: profile.get(key) for key in PROFILE_FIELDS}
    attributes.update(
        {
            "created": profile["created"],
            "updated": profile["updated"],
            "last_event_date": None,
            "location": profile["location"],
            "properties": profile["properties"],
        }
    )
    if subscriptions:
        attributes["subscriptions"] = profile["subscriptions"]
    return {
        "type": "profile",
        "id": profile["id"],
        "attributes": attributes,
        "relationships": {
            "lists": {
                "links": {
                    "self": f"{base}/api/profiles/{profile['id']}/relationships/lists",
                    "related": f"{base}/api/profiles/{profile['id']}/lists",
                }
            }
        },
        "links": {"self": f"{base}/api/profiles/{profile['id']}"},
    }


def list_resource(found: dict[str, Any], base: str) -> dict[str, Any]:
    return {
        "type": "list",
        "id": found["id"],
        "attributes": {
            "name": found["name"],
            "created": found["created"],
            "updated": found["updated"],
            "opt_in_process": found["opt_in_process"],
        },
        "links": {"self": f"{base}/api/lists/{found['id']}"},
    }


def job_resource(job: dict[str, Any], base: str) -> dict[str, Any]:
    job_link = f"{base}/api/profile-bulk-import-jobs/{job['id']}"
    return {
        "type": "profile-bulk-import-job",
        "id": job["id"],
        "attributes": {
            "status": job["status"],
            "created_at": job["created_at"],
            "total_count": job["total_count"],
            "completed_count": job["completed_count"],
            "failed_count": job["failed_count"],
            "completed_at": job["completed_at"],
            "expires_at": job["expires_at"],
            "started_at": job["started_at"],
        },
        "relationships": {
            "lists": {
                "data": [{"type": "list", "id": list_id} for list_id in job["list_ids"]],
                "links": {
                    "self": f"{job_link}/relationships/lists",
                    "related": f"{job_link}/lists",
                },
            },
            "import-errors": {"links": {"related": f"{job_link}/import-errors"}},
        },
        "links": {"self": job_link},
    }


def import_error_resource(error: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "import-error",
        "id": error["id"],
        "attributes": {
            "code": error["code"],
            "title": error["title"],
            "detail": error["detail"],
            "source": {"pointer": error["pointer"]},
            "original_payload": error["original_payload"],
        },
    }


def event_resource(event: dict[str, Any], base: str) -> dict[str, Any]:
    when = datetime.fromisoformat(event["time"])
    return {
        "type": "event",
        "id": event["id"],
        "attributes": {
            "timestamp": int(when.timestamp()),
            "event_properties": {
                **event["properties"],
                **({"$value": event["value"]} if event["value"] is not None else {}),
                **({"$event_id": event["unique_id"]} if event["unique_id"] else {}),
            },
            "datetime": event["time"],
            "uuid": event["id"],
        },
        "relationships": {
            "profile": {"data": {"type": "profile", "id": event["profile_id"]}},
            "metric": {"data": {"type": "metric", "id": event["metric_id"]}},
        },
        "links": {"self": f"{base}/api/events/{event['id']}"},
    }


def metric_resource(metric: dict[str, Any], base: str) -> dict[str, Any]:
    return {
        "type": "metric",
        "id": metric["id"],
        "attributes": {
            "name": metric["name"],
            "created": metric["created"],
            "updated": metric["created"],
            "integration": {
                "object": "integration",
                "id": "0rG4eQ",
                "name": "API",
                "category": "API",
            },
        },
        "links": {"self": f"{base}/api/metrics/{metric['id']}"},
    }
