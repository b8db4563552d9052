"""The ESP engagement pull (the "ESP engagement pull" asset in Dagster, ``nudge pull``):
events since the cursor land in ``raw.events`` once each, whichever ESP's reader
(readers.py) read them.

- **Incremental**: ``activation.engagement_pulls`` keeps one row per pull and account with
  its window; the next pull starts at the end of the last window minus a lookback (events
  that reach the ESP's API late are still read). The window ends when the pull starts, so an
  event stamped later is read by a later pull, never skipped.
- **Idempotent**: each raw event's message_id is a hash of the ESP's event id; ids already
  in raw.events are not written again, so a rerun (or an overlapping window) adds nothing.
- **Attributed**: each event carries the send it answers (attribution.py).
- **Erasure holds**: an erased person's events (tombstones: their ESP deletion is pending or
  could not reach the account) are counted and dropped, never landed under their id.
- **Raw tables reloaded**: when no engagement event of this account is left in raw.events
  although earlier pulls landed some, the pull starts from the beginning again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from .. import state
from ..batching import chunks
from ..errors import ActivationError, ConfigurationError
from ..raw_tables import raw_relation, raw_table
from ..sends.candidates import CONTACT_PROFILES
from ..sends.readback import RAW_EVENT_COLUMNS
from ..settings import DestinationSettings, redact
from ..tombstones import load_tombstones
from ..warehouse import Table, WarehouseConnection, open_warehouse
from ..warehouse.tables import integer, text, timestamp
from .attribution import SendAttribution
from .events import EspEvent
from .raw_feedback import MESSAGE_ID_PREFIX, message_id, raw_row
from .readers import engagement_reader

log = logging.getLogger(__name__)

LOOKBACK = timedelta(hours=1)
CHUNK = 500
PULLS = Table(
    "activation",
    "engagement_pulls",
    (
        text("destination_target", nullable=False),
        timestamp("started_at", nullable=False),
        timestamp("finished_at", nullable=False),
        timestamp("window_start"),
        timestamp("window_end", nullable=False),
        integer("pulled", nullable=False),
        integer("landed", nullable=False),
        integer("unmatched", nullable=False),
    ),
)


@dataclass
class EngagementPullResult:
    destination_target: str
    window_start: datetime | None
    window_end: datetime
    pulled: int = 0  # events the ESP returned (re-reads of the lookback included)
    landed: int = 0  # raw events written
    unmatched: int = 0  # of those, events whose profile matches no contact
    erased: int = 0  # events of erased people (tombstoned): not landed
    api_calls: int = 0
    by_event: dict[str, int] = field(default_factory=dict)  # landed per raw event name


def pull_engagement(
    warehouse: str | Path | None,
    settings: DestinationSettings,
    *,
    lookback: timedelta = LOOKBACK,
    until: datetime | None = None,
) -> EngagementPullResult:
    """Land the ESP's engagement events since the last pull into ``raw.events`` (module
    docstring) of the warehouse of the dbt target (``open_warehouse``: ``warehouse`` is the
    DuckDB file). ``until`` (default: now) ends the window."""
    reader = engagement_reader(settings)  # refuses a destination without one, first
    started_at = state.utcnow()
    window_end = until or started_at
    with closing(reader), open_warehouse(warehouse) as connection:
        if connection.columns(*raw_table("events")) is None:
            raise ConfigurationError(
                f"{raw_relation('events')} does not exist in {connection.location}: the engagement "
                "pull lands ESP feedback there (docs/contracts/raw_events.md); load or generate "
                "the raw tables first"
            )
        connection.ensure_table(PULLS)
        window_start = _window_start(connection, settings.target, lookback)
        result = EngagementPullResult(settings.target, window_start, window_end)
        attribution = SendAttribution(connection, settings.target)
        tombstones = load_tombstones(connection)
        try:
            events = reader.read(window_start, window_end)
            for batch in chunks(events, CHUNK):
                result.pulled += len(batch)
                kept = [
                    event
                    for event in batch
                    if not tombstones.covers(email=event.email, contact_id=event.external_id)
                ]
                result.erased += len(batch) - len(kept)
                _land(connection, settings.destination, attribution, kept, result)
        except ActivationError as exc:
            raise ActivationError(
                redact(f"engagement pull failed: {exc}", settings.secrets)
            ) from None
        finally:
            result.api_calls = reader.client.stats.api_calls
        connection.insert_rows(
            PULLS.qualified,
            PULLS.column_names,
            [
                (
                    settings.target,
                    started_at,
                    state.utcnow(),
                    window_start,
                    window_end,
                    result.pulled,
                    result.landed,
                    result.unmatched,
                )
            ],
        )
    log.info(
        "engagement pull from %s: pulled=%d landed=%d unmatched=%d erased=%d",
        settings.destination,
        result.pulled,
        result.landed,
        result.unmatched,
        result.erased,
    )
    return result


def _window_start(
    connection: WarehouseConnection, target: str, lookback: timedelta
) -> datetime | None:
    last_end, landed_before = connection.fetchall(
        f"select max(window_end), coalesce(sum(landed), 0) from {PULLS.qualified}"
        " where destination_target = ?",
        [target],
    )[0]
    if last_end is None:
        return None
    if landed_before:
        still_there = connection.fetchall(
            f"select count(*) from {raw_relation('events')} where message_id like ?",
            [MESSAGE_ID_PREFIX + "%"],
        )[0][0]
        if not still_there:
            return None  # raw tables reloaded: read everything again
    start: datetime = last_end - lookback
    return start


def _land(
    connection: WarehouseConnection,
    destination: str,
    attribution: SendAttribution,
    batch: Sequence[EspEvent],
    result: EngagementPullResult,
) -> None:
    by_id = {message_id(destination, event.event_id): event for event in batch}
    landed = _existing(connection, list(by_id))
    fresh = {key: event for key, event in by_id.items() if key not in landed}
    if not fresh:
        return
    emails = {
        event.email.strip().lower()
        for event in fresh.values()
        if event.email and not event.external_id
    }
    by_email = _contact_ids(connection, sorted(emails))
    now = state.utcnow()
    by_event = result.by_event
    contacts = [
        (event, event.external_id or by_email.get((event.email or "").strip().lower()))
        for event in fresh.values()
    ]
    rows = []
    for (event, contact_id), properties in zip(
        contacts, attribution.properties(contacts), strict=True
    ):
        if contact_id is None:
            result.unmatched += 1
        row = raw_row(replace(event, properties=properties), destination, contact_id, now)
        rows.append(row)
        by_event[str(row[1])] = by_event.get(str(row[1]), 0) + 1
    with connection.transaction():
        connection.insert_rows(raw_relation("events"), RAW_EVENT_COLUMNS, rows)
    result.landed += len(rows)


def _existing(connection: WarehouseConnection, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for part in chunks(ids, CHUNK):
        listed = ", ".join("?" for _ in part)
        rows = connection.fetchall(
            f"select message_id from {raw_relation('events')} where message_id in ({listed})",
            part,
        )
        found.update(str(row[0]) for row in rows)
    return found


def _contact_ids(connection: WarehouseConnection, emails: list[str]) -> dict[str, str]:
    """contact_id by lowercased email (profiles without an external_id)."""
    if not emails or connection.columns(*CONTACT_PROFILES) is None:
        return {}
    found: dict[str, str] = {}
    for part in chunks(emails, CHUNK):
        listed = ", ".join("?" for _ in part)
        rows = connection.fetchall(
            f"select lower(email), min(contact_id) from {'.'.join(CONTACT_PROFILES)}"
            f" where lower(email) in ({listed}) group by lower(email)",
            part,
        )
        found.update({str(email): str(contact_id) for email, contact_id in rows})
    return found
