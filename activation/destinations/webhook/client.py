"""A generic signed webhook: every batch is one JSON POST to ``NUDGE_WEBHOOK_URL``
(https://, or http:// to this machine or with ``NUDGE_WEBHOOK_ALLOW_INSECURE_HTTP=true``).
What receivers implement, with an example: docs/webhook_contract.md.

Body: ``{"id": <batch uuid>, "type": "profiles.upsert" | "list_members.add" |
"list_members.remove" | "events.track" | "contacts.erase", "list": <name or null>,
"records": [...]}``; every record has its ``key`` (events also their ``unique_id``, the send
key; ``contacts.erase``: erase everything held on the record's ``email``, GDPR).

Headers:

- ``X-Nudge-Timestamp``: Unix seconds when this attempt was sent (receivers reject one more
  than 5 minutes from their clock: replay protection);
- ``X-Nudge-Signature``: ``v1=`` + hex HMAC-SHA256 of ``"<timestamp>.<raw body>"`` keyed with
  ``NUDGE_WEBHOOK_SECRET`` (receivers compare it in constant time: ``hmac.compare_digest``);
- ``Idempotency-Key``: SHA-256 of the body: the same for every retry of one batch (the batch
  id makes it differ between batches).

Receivers must keep one event per ``unique_id``: an interrupted send is sent again with the
same one. Any 2xx confirms the batch, except the records the answer lists as
``{"failed": [{"key": ..., "reason": ...}]}``; 429 / 5xx are retried like any destination.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import requests

from ...errors import DestinationError
from ...ratelimit import EndpointLimit
from ...settings import DestinationSettings, Secret, options_of, redact
from ..base import (
    BatchLimits,
    BatchOutcome,
    EventRecord,
    MemberRecord,
    ProfileRecord,
    SuppressionRecord,
)
from ..common import RowErrors, api_client, failed_batch, json_size, response_json
from .settings import WebhookEnvOptions, require_secure_webhook_url

TIMESTAMP_HEADER = "X-Nudge-Timestamp"
SIGNATURE_HEADER = "X-Nudge-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
SIGNATURE_VERSION = "v1"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Nudge-Signature`` value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={digest.hexdigest()}"


class SigningSession(requests.Session):
    """Signs every attempt as it goes out, so a retry carries a fresh timestamp."""

    def __init__(self, secret: Secret, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self._secret = secret
        self._clock = clock

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        data = kwargs.get("data") or b""
        body = data.encode() if isinstance(data, str) else bytes(data)
        timestamp = str(int(self._clock()))
        headers = dict(kwargs.get("headers") or {})
        headers[TIMESTAMP_HEADER] = timestamp
        headers[SIGNATURE_HEADER] = signature(self._secret.reveal(), timestamp, body)
        headers[IDEMPOTENCY_HEADER] = hashlib.sha256(body).hexdigest()
        kwargs["headers"] = headers
        return super().request(method, url, *args, **kwargs)


class WebhookDestination:
    name = "webhook"
    # the contract: receivers keep one event per unique_id (the send key)
    idempotent_events = True
    # for good (docs/webhook_contract.md)
    deduplication_window: timedelta | None = None
    # our own caps (a receiver documents nothing): 500 records and 1 MB per POST
    limits = BatchLimits(
        upsert_rows=500,
        upsert_bytes=1024 * 1024,
        record_bytes=64 * 1024,
        membership_rows=500,
        event_rows=500,
    )
    rate_limits: tuple[EndpointLimit, ...] = ()

    def __init__(
        self,
        settings: DestinationSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        require_secure_webhook_url(
            settings.base_url, options_of(settings, WebhookEnvOptions).allow_insecure_http
        )
        self.settings = settings
        # the URL is the whole endpoint: requests go to base_url + ""
        self.client = api_client(settings, {}, self.rate_limits, sleep=sleep)
        signing = SigningSession(settings.api_key, clock)
        signing.headers.update(self.client.session.headers)
        self.client.session.close()
        self.client.session = signing

    def close(self) -> None:
        self.client.close()

    def ensure_list(self, name: str, *, create: bool = True) -> str | None:
        return name

    @staticmethod
    def profile(record: ProfileRecord) -> dict[str, Any]:
        return {
            "key": record.record_key,
            "email": record.email,
            "external_id": record.external_id,
            "attributes": record.attributes,
            "properties": record.properties,
        }

    def record_size(self, record: ProfileRecord) -> int:
        return json_size(self.profile(record))

    def upsert_profiles(
        self, records: Sequence[ProfileRecord], list_id: str | None
    ) -> BatchOutcome:
        return self._post("profiles.upsert", list_id, [self.profile(r) for r in records])

    def _members(self, kind: str, list_id: str, records: Sequence[MemberRecord]) -> BatchOutcome:
        rows = [{"key": r.record_key, "email": r.email, "ref": r.destination_ref} for r in records]
        return self._post(kind, list_id, rows)

    def add_list_members(self, list_id: str, records: Sequence[MemberRecord]) -> BatchOutcome:
        return self._members("list_members.add", list_id, records)

    def remove_list_members(self, list_id: str, records: Sequence[MemberRecord]) -> BatchOutcome:
        return self._members("list_members.remove", list_id, records)

    def track_events(self, records: Sequence[EventRecord]) -> BatchOutcome:
        rows = [
            {
                "key": r.record_key,
                "metric": r.metric,
                "email": r.email,
                "external_id": r.external_id,
                "properties": r.properties,
                "time": r.time,
                "value": r.value,
                "unique_id": r.unique_id,
            }
            for r in records
        ]
        return self._post("events.track", None, rows)

    def _post(self, kind: str, list_id: str | None, rows: list[dict[str, Any]]) -> BatchOutcome:
        keys = [row["key"] for row in rows]
        if not rows:
            return BatchOutcome()
        body = {"id": str(uuid.uuid4()), "type": kind, "list": list_id, "records": rows}
        try:
            response = self.client.request("POST", "", body=body)
        except DestinationError as exc:
            return failed_batch(keys, exc)
        errors = RowErrors(keys, {key: key for key in keys})
        answer = response_json(response)
        failed = answer.get("failed") if isinstance(answer, dict) else None
        for item in failed or []:
            # the receiver's words are stored and logged: a receiver may echo the secret
            if isinstance(item, dict):
                reason = f"webhook: {item.get('reason') or 'rejected'}"
                errors.named(item.get("key"), redact(reason, self.settings.secrets))
            else:
                reason = f"webhook: unreadable failure {item!r}"
                errors.named(None, redact(reason, self.settings.secrets))
        return errors.outcome(f"POST {kind}")

    def erase_contact(self, email: str) -> None:
        """Ask the receiver to erase everything it holds on ``email`` (``contacts.erase``)."""
        key = email.strip().lower()
        outcome = self._post("contacts.erase", None, [{"key": key, "email": key}])
        if key not in outcome.succeeded:
            reason = outcome.failures([key])[key]
            raise DestinationError(f"webhook could not erase the contact: {reason}")

    def read_suppressions(self, since: datetime | None) -> Iterator[SuppressionRecord]:
        """Nothing: a webhook only receives."""
        return iter(())
