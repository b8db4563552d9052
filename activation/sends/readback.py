"""Pull suppressions made in the ESP (unsubscribes, hard bounces, spam complaints, invalid
addresses, manual suppressions) into the warehouse, idempotently:

- ``activation.esp_suppressions`` keeps each one (also those matching no contact), so the
  next send run skips the contact at once, before dbt runs again;
- ``raw.events`` gets one raw-contract event per suppression of a known contact
  (``Unsubscribed`` with source 'esp', ``Email Bounced`` with bounce_type 'hard', ``Email
  Marked as Spam``; docs/contracts/raw_events.md), so contact_profiles marks it suppressed.

Suppressions of erased people (tombstones) are neither kept nor landed. Each suppression's
id (also the raw event's message_id) is a hash of the destination, the ESP's profile id, the
reason and the suppression time: a rerun adds nothing twice. Pulls are incremental: from the
latest suppression of the last complete read of this account (``esp_suppression_reads``),
minus a lookback, or from the first one whose raw event has gone, when the raw tables were
reloaded. What a read cut short by an error landed stays, but it moves no cursor: the ESP
does not return suppressions in time order, so a later page may hold older ones.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from .. import state
from ..batching import chunks
from ..destinations import Destination, build_destination
from ..destinations.base import SuppressionRecord
from ..errors import ActivationError, ConfigurationError
from ..raw_tables import raw_relation, raw_table
from ..settings import DestinationSettings, redact
from ..tombstones import Tombstones, load_tombstones
from ..warehouse import WarehouseConnection, open_warehouse
from .candidates import CONTACT_PROFILES
from .suppressions import (
    READS_TABLE,
    SUPPRESSION_COLUMNS,
    SUPPRESSIONS_TABLE,
    ensure_suppressions,
)

log = logging.getLogger(__name__)

RAW_EVENT_COLUMNS = (
    "message_id",
    "event",
    "user_id",
    "anonymous_id",
    "timestamp",
    "received_at",
    "properties",
    "context",
)
LOOKBACK = timedelta(hours=1)
CHUNK = 500

# reason -> (raw event name, its properties)
RAW_EVENT_FOR_REASON: dict[str, tuple[str, dict[str, str]]] = {
    "unsubscribed": ("Unsubscribed", {"channel": "email", "source": "esp"}),
    "user_suppressed": (
        "Unsubscribed",
        {"channel": "email", "source": "esp", "reason": "user_suppressed"},
    ),
    "hard_bounce": ("Email Bounced", {"bounce_type": "hard"}),
    "invalid_email": ("Email Bounced", {"bounce_type": "hard", "reason": "invalid_email"}),
    "spam_complaint": ("Email Marked as Spam", {}),
}


@dataclass
class ReadbackResult:
    destination_target: str
    since: datetime | None
    started_at: datetime
    finished_at: datetime | None = None
    pulled: int = 0  # suppressions the ESP returned (re-reads of known ones included)
    new: int = 0  # first seen this run
    landed_events: int = 0  # raw events written
    unmatched: int = 0  # new ones matching no contact (kept in esp_suppressions only)
    erased: int = 0  # of people erased (tombstoned): not kept, not landed
    api_calls: int = 0


def suppression_id(destination: str, record: SuppressionRecord) -> str:
    text = (
        f"{destination}|{record.destination_ref}|{record.reason}|{record.suppressed_at.isoformat()}"
    )
    return "esp-suppression-" + hashlib.sha256(text.encode()).hexdigest()[:32]


def read_back_suppressions(
    warehouse_path: str | Path,
    settings: DestinationSettings,
    *,
    destination: Destination | None = None,
    lookback: timedelta = LOOKBACK,
) -> ReadbackResult:
    """Land the ESP's suppressions since the last read into the warehouse (see module)."""
    with open_warehouse(warehouse_path) as warehouse:
        if warehouse.columns(*raw_table("events")) is None:
            raise ConfigurationError(
                f"{raw_relation('events')} does not exist in {warehouse.location}: the suppression "
                "read-back lands ESP feedback there (docs/contracts/raw_events.md); load or "
                "generate the raw tables first"
            )
        ensure_suppressions(warehouse)
        tombstones = load_tombstones(warehouse)
        since = _since(warehouse, settings.target, lookback)
        result = ReadbackResult(settings.target, since, state.utcnow())
        owned = destination is None
        client = destination or build_destination(settings)
        watermark = _watermark(warehouse, settings.target)
        try:
            for batch in chunks(client.read_suppressions(since), CHUNK):
                result.pulled += len(batch)
                latest = max(record.suppressed_at for record in batch)
                watermark = latest if watermark is None else max(watermark, latest)
                kept = [r for r in batch if not _erased(tombstones, r)]
                result.erased += len(batch) - len(kept)
                _land(warehouse, settings, kept, result)
        except ActivationError as exc:
            raise ActivationError(
                redact(f"suppression read-back failed: {exc}", settings.secrets)
            ) from None
        finally:
            stats = getattr(getattr(client, "client", None), "stats", None)
            result.api_calls = stats.api_calls if stats is not None else 0
            if owned:
                client.close()
        result.finished_at = state.utcnow()
        warehouse.insert_rows(
            READS_TABLE,
            ("destination_target", "started_at", "finished_at", "since", "watermark"),
            [(settings.target, result.started_at, result.finished_at, since, watermark)],
        )
    log.info(
        "suppression read-back from %s: pulled=%d new=%d raw events=%d unmatched=%d",
        settings.destination,
        result.pulled,
        result.new,
        result.landed_events,
        result.unmatched,
    )
    return result


def _erased(tombstones: Tombstones, record: SuppressionRecord) -> bool:
    """An erased person's suppression (their ESP deletion pending or failed) is not stored:
    it would bring their email and id back into the warehouse."""
    return tombstones.covers(email=record.email, contact_id=record.external_id)


def _watermark(warehouse: WarehouseConnection, target: str) -> datetime | None:
    """The latest suppression time a complete read of this account has seen."""
    latest = warehouse.fetchall(
        f"select max(watermark) from {READS_TABLE} where destination_target = ?", [target]
    )[0][0]
    return latest if isinstance(latest, datetime) else None


def _since(warehouse: WarehouseConnection, target: str, lookback: timedelta) -> datetime | None:
    """Where the next pull starts: the latest suppression of the last complete read, or the
    first one whose raw event is gone (raw tables reloaded), whichever is earlier, minus
    ``lookback``; from the beginning when no read of this account has completed."""
    (first_missing,) = warehouse.fetchall(
        "select"
        " min(case when s.contact_id is not null and e.message_id is null"
        " then s.suppressed_at end)"
        f" from {SUPPRESSIONS_TABLE} as s"
        f" left join {raw_relation('events')} as e on s.message_id = e.message_id"
        " where s.destination_target = ?",
        [target],
    )[0]
    watermark = _watermark(warehouse, target)
    if watermark is None:
        return None
    start = min(first_missing, watermark) if isinstance(first_missing, datetime) else watermark
    return start - lookback


def _land(
    warehouse: WarehouseConnection,
    settings: DestinationSettings,
    batch: Sequence[SuppressionRecord],
    result: ReadbackResult,
) -> None:
    """Keep the suppressions not seen before; land a raw event for each one of a known
    contact whose event is not in raw.events yet."""
    by_id = {suppression_id(settings.destination, record): record for record in batch}
    known = existing_ids(warehouse, SUPPRESSIONS_TABLE, list(by_id))
    landed = existing_ids(warehouse, raw_relation("events"), list(by_id))
    contacts = contact_ids_by_email(
        warehouse, [r.email for r in by_id.values() if not r.external_id]
    )
    now = state.utcnow()
    suppression_rows = []
    event_rows = []
    for key, record in by_id.items():
        contact_id = record.external_id or contacts.get((record.email or "").strip().lower())
        if key not in known:
            suppression_rows.append(
                (
                    key,
                    settings.target,
                    record.destination_ref,
                    record.email,
                    record.external_id,
                    contact_id,
                    record.reason,
                    record.suppressed_at,
                    now,
                )
            )
            if contact_id is None:
                result.unmatched += 1
                log.warning(
                    "a suppression in %s (profile %s, %s) matches no contact; kept in %s",
                    settings.destination,
                    record.destination_ref,
                    record.reason,
                    SUPPRESSIONS_TABLE,
                )
        if contact_id is not None and key not in landed:
            event_rows.append(_raw_event(key, contact_id, record, settings.destination, now))
    if not suppression_rows and not event_rows:
        return
    with warehouse.transaction():
        warehouse.insert_rows(SUPPRESSIONS_TABLE, SUPPRESSION_COLUMNS, suppression_rows)
        warehouse.insert_rows(raw_relation("events"), RAW_EVENT_COLUMNS, event_rows)
    result.new += len(suppression_rows)
    result.landed_events += len(event_rows)


def _raw_event(
    message_id: str,
    contact_id: str,
    record: SuppressionRecord,
    destination: str,
    now: datetime,
) -> tuple[object, ...]:
    name, properties = RAW_EVENT_FOR_REASON.get(
        record.reason, ("Unsubscribed", {"channel": "email", "source": "esp"})
    )
    properties = {
        **properties,
        "esp": destination,
        "esp_profile_id": record.destination_ref,
        "esp_reason": record.reason,
    }
    return (
        message_id,
        name,
        contact_id,
        None,
        record.suppressed_at,
        now,
        json.dumps(properties),
        json.dumps({"channel": "email"}),
    )


def existing_ids(warehouse: WarehouseConnection, table: str, ids: list[str]) -> set[str]:
    """The message_ids of ``ids`` that ``table`` already holds."""
    found: set[str] = set()
    for part in chunks(ids, CHUNK):
        listed = ", ".join("?" for _ in part)
        rows = warehouse.fetchall(
            f"select message_id from {table} where message_id in ({listed})", part
        )
        found.update(str(row[0]) for row in rows)
    return found


def contact_ids_by_email(
    warehouse: WarehouseConnection, emails: Sequence[str | None]
) -> dict[str, str]:
    """contact_id by normalized email (the lowest contact_id sharing it)."""
    emails = sorted({e.strip().lower() for e in emails if e})
    if not emails or warehouse.columns(*CONTACT_PROFILES) is None:
        return {}
    found: dict[str, str] = {}
    for part in chunks(emails, CHUNK):
        listed = ", ".join("?" for _ in part)
        rows = warehouse.fetchall(
            f"select lower(email), min(contact_id) from {'.'.join(CONTACT_PROFILES)}"
            f" where lower(email) in ({listed}) group by lower(email)",
            part,
        )
        found.update({str(email): str(contact_id) for email, contact_id in rows})
    return found
