"""A due send as the ESP event that starts its flow: metric = the catalog's esp_metric,
properties = the payload plus what identifies the send, ``unique_id`` = send_key, the
normalized email (one ESP profile per address, as the audience syncs key it), and a
``time`` that never changes across retries (when the send was first written 'pending')."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..destinations.base import EventRecord
from ..tombstones import normalize_email
from .ledger import LedgerKey


@dataclass(frozen=True)
class SendRow(LedgerKey):
    """One candidate row of ``candidates.candidates``: the send, its ledger state, its
    contact's built profile (``suppressed_because``: why the build says the contact may not
    be emailed), and the sends already made to its address within the cap windows."""

    esp_metric: str | None
    payload: str | None
    send_after: datetime | None  # due_at, or later for a send-time optimized send
    topic: str | None  # the trigger's email topic (catalog), for opt-outs since the build
    priority: int | None
    quiet_hours_opt_out: bool | None
    ledger_attempts: int | None
    ledger_created_at: datetime | None
    ledger_deferred_until: datetime | None
    ledger_expires_at: datetime | None
    ledger_first_attempt_at: datetime | None  # when first written 'pending' (None: never)
    email: str | None
    address_key: str
    consent_since: datetime | None
    suppressed_because: str | None
    frequency_window_days: int | None  # the build's: the person's frequency, one email per
    sent_24h: int
    sent_7d: int
    last_sent_at: datetime | None  # the address's last send (sent or pending), any time


class BadSend(ValueError):
    """A send that cannot become an event (recorded as failed with this reason)."""


def event_record(row: SendRow, first_pending_at: datetime) -> EventRecord:
    if not row.esp_metric:
        raise BadSend("triggered_sends.esp_metric is empty: the catalog row needs an esp_metric")
    try:
        payload: Any = json.loads(row.payload) if row.payload else {}
    except ValueError as exc:
        raise BadSend(f"payload is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise BadSend(f"payload must be a JSON object, got {type(payload).__name__}")
    properties = {
        **payload,
        "trigger_key": row.trigger_key,
        "step": row.step,
        "variant": row.variant,
        "series_id": row.series_id,
        "send_key": row.send_key,
    }
    return EventRecord(
        record_key=row.send_key,
        metric=row.esp_metric,
        email=normalize_email(row.email) if row.email else None,
        external_id=row.contact_id,
        properties=properties,
        time=first_pending_at.isoformat(timespec="seconds") + "+00:00",
        value=None,
        unique_id=row.send_key,
    )
