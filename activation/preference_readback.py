"""Email preferences changed in the ESP (its own preference page writing the profile
properties the subscribers sync sets: ``nudge_unsubscribed_topics``,
``nudge_email_frequency``) land in ``raw.events`` as the raw contract's ``Email Preferences
Updated`` (source 'esp'), so the next build applies them and the send gate applies them at
once (activation/fresh_preferences.py reads raw events received after the build).

Only what narrows email is read back: a topic in the ESP's list that the warehouse does not
have opted out (``syncs.sync_klaviyo_subscribers.unsubscribed_topics``), a frequency
stricter than the warehouse's. Bringing a topic back, or a looser frequency, is a choice to
make in the preference center that feeds the warehouse: a stale ESP value must never undo a
newer choice, and when in doubt Nudge does not send. Each landed event's message_id is a
hash of the account, the profile, the choice and the profile's ``updated``: a rerun (or the
lookback) lands nothing twice. Reads are incremental on ``updated``
(``activation.esp_preference_reads``; an account's first read looks back FIRST_READ, not
through every profile it holds). Every profile a sync wrote is read again (its ``updated``
moved): a read costs about one call per 100 profiles the syncs since the last read changed.
Only destinations whose spec claims ``preferences`` are asked (activation/runs/feedback.py);
one whose topic mapping is not set up has nothing to read (``supported`` False). Erased
people (tombstones) are not landed.

ESPs that cannot list what changed (Braze subscription groups, Customer.io subscription
topics: ``read_preferences_of``, set up by their ``*_PREFERENCE_*`` topic mapping) are asked
about every person the syncs hold there (``activation.sync_state``), each read: Braze one
call per 50 people, Customer.io one per 100 (at its App API's 10 calls a second, a million
people take about 17 minutes). Their records carry ``version`` "" when the ESP keeps no time
of the change, so an opt-out lands once however often it is read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

from . import state
from .batching import chunks
from .destinations import build_destination
from .destinations.base import PreferenceRecord
from .errors import ActivationError
from .raw_tables import raw_relation, raw_table
from .sends.policy import SEND_POLICY, load_policy
from .sends.readback import RAW_EVENT_COLUMNS, contact_ids_by_email, existing_ids
from .settings import DestinationSettings, redact
from .synced_people import synced_refs
from .tombstones import load_tombstones, normalize_email
from .warehouse import Table, WarehouseConnection, open_warehouse
from .warehouse.tables import text, timestamp

LOOKBACK = timedelta(hours=1)
# the first read of an account goes this far back, not through every profile it holds (a
# million profiles would be ten thousand calls); the properties are Nudge's own until a
# preference page starts writing them
FIRST_READ = timedelta(days=7)
CHUNK = 500
SUBSCRIBERS = ("syncs", "sync_klaviyo_subscribers")
PREFERENCE_EVENT = "Email Preferences Updated"
READS = Table(
    "activation",
    "esp_preference_reads",
    (
        text("destination_target", nullable=False),
        timestamp("started_at", nullable=False),
        timestamp("finished_at", nullable=False),
        timestamp("since"),
        timestamp("watermark"),
    ),
)


@dataclass
class PreferenceReadbackResult:
    destination_target: str
    since: datetime | None
    supported: bool = True
    profiles: int = 0  # profiles the ESP returned with preference properties
    landed_events: int = 0  # Email Preferences Updated events written
    unmatched: int = 0  # narrowing choices of profiles matching no contact


@dataclass(frozen=True)
class Known:
    unsubscribed_topics: frozenset[str]
    email_frequency: str


def read_back_preferences(
    warehouse_path: str | Path,
    settings: DestinationSettings,
    *,
    lookback: timedelta = LOOKBACK,
) -> PreferenceReadbackResult:
    """Land the ESP's narrowing preference changes since the last read (see module)."""
    with open_warehouse(warehouse_path) as warehouse:
        warehouse.ensure_table(READS)
        watermark = _watermark(warehouse, settings.target)
        started = state.utcnow()
        since = (started - FIRST_READ) if watermark is None else watermark - lookback
        result = PreferenceReadbackResult(settings.target, since)
        client = build_destination(settings)
        try:
            records = _records(client, warehouse, settings.target, since)
            if records is None or warehouse.columns(*raw_table("events")) is None:
                result.supported = records is not None
                return result
            windows = _frequency_windows(warehouse)
            tombstones = load_tombstones(warehouse)
            for batch in chunks(records, CHUNK):
                result.profiles += len(batch)
                latest = max(record.updated_at for record in batch)
                watermark = latest if watermark is None else max(watermark, latest)
                kept = [
                    r
                    for r in batch
                    if not tombstones.covers(email=r.email, contact_id=r.external_id)
                ]
                _land(warehouse, settings.target, kept, windows, result)
        except ActivationError as exc:
            raise ActivationError(
                redact(f"preference read-back failed: {exc}", settings.secrets)
            ) from None
        finally:
            client.close()
        warehouse.insert_rows(
            READS.qualified,
            READS.column_names,
            [(settings.target, started, state.utcnow(), since, watermark)],
        )
    return result


def _records(
    client: object, warehouse: WarehouseConnection, target: str, since: datetime
) -> Iterator[PreferenceRecord] | None:
    """What the destination holds: what changed since ``since`` where it can say, else the
    preferences of each person synced there; None when it has no preferences to read."""
    changed = getattr(client, "read_preferences", None)
    if changed is not None:
        return cast(Iterator[PreferenceRecord], changed(since))
    of_people = getattr(client, "read_preferences_of", None)
    if of_people is None or not getattr(client, "preference_topics", None):
        return None
    return (
        record
        for people in chunks(synced_refs(warehouse, target), CHUNK)
        for record in of_people(people)
    )


def _watermark(warehouse: WarehouseConnection, target: str) -> datetime | None:
    latest = warehouse.fetchall(
        f"select max(watermark) from {READS.qualified} where destination_target = ?", [target]
    )[0][0]
    return latest if isinstance(latest, datetime) else None


def _frequency_windows(warehouse: WarehouseConnection) -> dict[str, int]:
    """The frequencies a person may choose, by their window (the build's send_policy)."""
    if warehouse.columns(*SEND_POLICY) is None:
        return {}
    return load_policy(warehouse).email_frequency_windows


def _land(
    warehouse: WarehouseConnection,
    target: str,
    records: list[PreferenceRecord],
    windows: dict[str, int],
    result: PreferenceReadbackResult,
) -> None:
    emails = sorted({normalize_email(r.email) for r in records if r.email})
    known = _known(warehouse, emails)
    contacts = contact_ids_by_email(warehouse, [r.email for r in records if not r.external_id])
    now = state.utcnow()
    rows: dict[str, tuple[object, ...]] = {}
    for record in records:
        address = normalize_email(record.email) if record.email else ""
        contact = record.external_id or contacts.get(address)
        for choice in _narrowing(record, known.get(address), windows):
            if contact is None:
                result.unmatched += 1
                continue
            message_id = _message_id(target, record, choice)
            rows[message_id] = _raw_event(message_id, contact, record, choice, target, now)
    new = set(rows) - existing_ids(warehouse, raw_relation("events"), list(rows))
    with warehouse.transaction():
        warehouse.insert_rows(
            raw_relation("events"), RAW_EVENT_COLUMNS, [rows[key] for key in sorted(new)]
        )
    result.landed_events += len(new)


def _known(warehouse: WarehouseConnection, emails: list[str]) -> dict[str, Known]:
    """What the warehouse last synced for each address (the subscribers sync's model)."""
    columns = warehouse.columns(*SUBSCRIBERS)
    if not emails or columns is None or "unsubscribed_topics" not in columns:
        return {}
    found: dict[str, Known] = {}
    for part in chunks(emails, CHUNK):
        listed = ", ".join("?" for _ in part)
        rows = warehouse.fetchall(
            f"select lower(email), unsubscribed_topics, email_frequency"
            f" from {'.'.join(SUBSCRIBERS)} where lower(email) in ({listed})",
            part,
        )
        for email, topics, frequency in rows:
            listed_topics = json.loads(topics) if topics else []
            found[str(email)] = Known(frozenset(listed_topics), str(frequency or "all"))
    return found


def _narrowing(
    record: PreferenceRecord, known: Known | None, windows: dict[str, int]
) -> Iterable[dict[str, object]]:
    """The choices in ``record`` that ask for less email than ``known``."""
    already = known.unsubscribed_topics if known else frozenset()
    for topic in record.unsubscribed_topics or ():
        if topic not in already:
            yield {"topic": topic, "subscribed": False}
    frequency = record.email_frequency
    current = known.email_frequency if known else "all"
    if frequency in windows and windows[frequency] > windows.get(current, 0):
        yield {"frequency": frequency}


def _message_id(target: str, record: PreferenceRecord, choice: dict[str, object]) -> str:
    version = str(record.updated_at) if record.version is None else record.version
    key = "|".join((target, record.destination_ref, json.dumps(choice, sort_keys=True), version))
    return "esp-preference-" + hashlib.sha256(key.encode()).hexdigest()[:32]


def _raw_event(
    message_id: str,
    contact_id: str,
    record: PreferenceRecord,
    choice: dict[str, object],
    target: str,
    now: datetime,
) -> tuple[object, ...]:
    properties = {**choice, "source": "esp", "esp": target}
    properties["esp_profile_id"] = record.destination_ref
    return (
        message_id,
        PREFERENCE_EVENT,
        contact_id,
        None,
        record.updated_at,
        now,
        json.dumps(properties),
        json.dumps({"channel": "email"}),
    )
