"""Plan and run one sync: diff in the warehouse, send only what changed, and advance the
state only for what the destination confirmed.

    declaration = get_declaration("target/manifest.json", "klaviyo_subscribers")
    result = run_sync(declaration, "warehouse/nudge.duckdb", klaviyo_settings())
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import diff, state
from .batching import batches, chunks
from .build_stamps import require_live_build
from .client_stats import record_client_stats
from .declarations import SEGMENT_COLUMN, SyncDeclaration
from .destinations import Destination, build_destination
from .destinations.base import EventRecord, MemberRecord, ProfileRecord
from .errors import ActivationError, DeclarationError
from .fresh_suppressions import ERASED, FreshSuppressions
from .leases import Lease, hold, sync_lease
from .segment_keys import check_segment_keys
from .settings import DestinationSettings, Secret, redact
from .tombstones import normalize_email
from .warehouse import WarehouseConnection, open_warehouse

log = logging.getLogger(__name__)

MAX_REPORTED_ERRORS = 50
FIXED_COLUMNS = 5  # action, record_key, row_hash, old_hash, destination_ref
# object 'events': the state is advanced every this many events, so a crash leaves at most
# these unconfirmed (sent again next run under the same unique_id, recorded once)
EVENT_STATE_ROWS = 100
# checkpoint names an events sync passes (tests crash it there)
AFTER_EVENT_CALL, AFTER_EVENT_STATE = "api-called", "state-written"


@dataclass
class SyncRunResult:
    """What one run did. ``added``/``changed``/``removed`` count rows sent for that reason
    (``retried``: rows re-sent because they failed before); ``failed`` counts rows the
    destination rejected this run. ``api_calls`` counts requests (retries included),
    ``rate_limited`` the 429s, ``request_retries`` requests sent again after a 429, 5xx,
    timeout or dropped connection; ``throttle_seconds`` is the time the client's rate limiter
    held requests. A dry run reports the plan and sends nothing."""

    run_id: str
    sync_name: str
    dry_run: bool
    started_at: datetime
    finished_at: datetime | None = None
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    failed: int = 0
    retried: int = 0
    api_calls: int = 0
    write_calls: int = 0
    rate_limited: int = 0
    request_retries: int = 0
    server_errors: int = 0
    timeouts: int = 0
    connection_errors: int = 0
    truncated: int = 0  # rows sent with strings cut to the destination's limits
    throttle_seconds: float = 0.0
    duration_seconds: float = 0.0
    status: str = "running"
    # rows not added or changed because the person may not be emailed now: erased, or
    # consent ended after the model's build (activation/fresh_suppressions.py); they stay
    # pending and are decided again by the next run
    held_back: int = 0
    held_back_by_reason: dict[str, int] = field(default_factory=dict)
    # of ``removed``: erased people still in the list (mirror mode), e.g. where their
    # erasure could not reach the account; the tombstone keeps them out from then on
    removed_erased: int = 0
    errors: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class BadRow(ValueError):
    """A row that cannot be sent as it is (failed alone, with this reason)."""


@dataclass
class _Row:
    action: str
    record_key: str
    row_hash: str | None
    old_hash: str | None
    destination_ref: str | None
    values: dict[str, Any]


def plan_sync(
    declaration: SyncDeclaration, warehouse: WarehouseConnection, target: str
) -> dict[str, int]:
    """Planned action counts (see ``activation.diff``) against the state kept for
    ``target`` (``DestinationSettings.target``); read-only apart from creating the empty
    state tables."""
    _check_columns(declaration, warehouse)
    check_segment_keys(declaration, warehouse)
    state.ensure_tables(warehouse)
    duplicated = warehouse.fetchall(diff.duplicate_keys_sql(declaration))[0][0]
    if duplicated:
        log.warning(
            "sync %s: %d %s values appear on more than one row; one row per key is sent",
            declaration.name,
            duplicated,
            declaration.config.identifier.column,
        )
    rows = warehouse.fetchall(diff.counts_sql(declaration), [declaration.name, target])
    return {str(action): int(count) for action, count in rows}


def run_sync(
    declaration: SyncDeclaration,
    warehouse_path: str | Path,
    destination_settings: DestinationSettings,
    dry_run: bool = False,
    *,
    destination: Destination | None = None,
    progress: Callable[[int, int], None] | None = None,
    checkpoint: Callable[[str], None] | None = None,
) -> SyncRunResult:
    """Run one sync against the warehouse of the dbt target (``open_warehouse``:
    ``warehouse_path`` is its DuckDB file); ``dry_run`` plans without any API call.
    ``progress(done, total)`` is called as rows to send or remove are settled;
    ``checkpoint(name)`` as an events sync passes AFTER_EVENT_CALL / AFTER_EVENT_STATE."""
    if destination_settings.destination != declaration.config.destination:
        raise DeclarationError(
            [
                f"exposure {declaration.name}: meta.nudge_sync.destination is "
                f"{declaration.config.destination!r} but the settings are for "
                f"{destination_settings.destination!r}"
            ]
        )
    result = SyncRunResult(
        run_id=str(uuid.uuid4()),
        sync_name=declaration.name,
        dry_run=dry_run,
        started_at=state.utcnow(),
    )
    with open_warehouse(warehouse_path) as warehouse:
        _check_columns(declaration, warehouse)  # a missing table says so before its stamp
        stamp = require_live_build(warehouse, f"{declaration.schema_name}.{declaration.table_name}")
        if dry_run:  # writes nothing: needs no lease, waits for no run
            return _planned(result, plan_sync(declaration, warehouse, destination_settings.target))
        scope = (declaration.name, destination_settings.target)
        with hold(warehouse, sync_lease(*scope), result.run_id, state.utcnow) as lease:
            planned = plan_sync(declaration, warehouse, destination_settings.target)
            result.unchanged = planned.get("unchanged", 0)
            state.start_run(warehouse, result.run_id, scope, result.started_at)
            owned = destination is None
            client = destination or build_destination(destination_settings, declaration.config)
            try:
                fresh = FreshSuppressions.load(warehouse, since=stamp.as_of)
                _Runner(
                    declaration,
                    scope,
                    warehouse,
                    client,
                    result,
                    planned,
                    fresh,
                    lease,
                    progress,
                    secrets=destination_settings.secrets,
                    checkpoint=checkpoint,
                ).run()
                result.status = "partial" if result.failed else "success"
            except Exception as exc:
                result.status = "error"
                message = redact(
                    f"sync {declaration.name} failed: {exc}", destination_settings.secrets
                )
                raise ActivationError(message) from None
            finally:
                record_client_stats(client, result)
                result.finished_at = state.utcnow()
                result.duration_seconds = (result.finished_at - result.started_at).total_seconds()
                state.finish_run(warehouse, result)
                if owned:
                    client.close()
    log.info(
        "sync %s %s: added=%d changed=%d removed=%d unchanged=%d failed=%d retried=%d "
        "api_calls=%d write_calls=%d rate_limited=%d request_retries=%d duration=%.1fs",
        result.sync_name,
        result.status,
        result.added,
        result.changed,
        result.removed,
        result.unchanged,
        result.failed,
        result.retried,
        result.api_calls,
        result.write_calls,
        result.rate_limited,
        result.request_retries,
        result.duration_seconds,
    )
    return result


def _planned(result: SyncRunResult, planned: dict[str, int]) -> SyncRunResult:
    """A dry run's result: what a run would add, change, retry and remove."""
    result.unchanged = planned.get("unchanged", 0)
    result.added = planned.get("added", 0)
    result.changed = planned.get("changed", 0)
    result.retried = planned.get("retry", 0)
    result.removed = planned.get("remove", 0)
    result.status = "planned"
    result.finished_at = state.utcnow()
    return result


class _Runner:
    def __init__(
        self,
        declaration: SyncDeclaration,
        scope: state.Scope,
        warehouse: WarehouseConnection,
        destination: Destination,
        result: SyncRunResult,
        planned: dict[str, int],
        fresh: FreshSuppressions,
        lease: Lease,
        progress: Callable[[int, int], None] | None = None,
        secrets: Sequence[Secret] = (),
        checkpoint: Callable[[str], None] | None = None,
    ) -> None:
        self.declaration = declaration
        self.checkpoint = checkpoint or (lambda name: None)
        self.secrets = secrets
        self.fresh = fresh
        self.lease = lease
        self.progress = progress
        self.total = planned.get("remove", 0) + sum(planned.get(a, 0) for a in diff.SEND_ACTIONS)
        self.done = 0
        self.scope = scope
        self.cfg = declaration.config
        self.warehouse = warehouse
        self.destination = destination
        self.result = result
        self.planned = planned
        self._list_id: str | None = None
        self._list_resolved = False

    def run(self) -> None:
        if self.planned.get("discard"):
            self._discard()
        if self.cfg.mode == "mirror" and len(self.fresh.tombstones):
            self._erased_members()
        if self.planned.get("remove"):
            self._remove(self._rows(("remove",)))
        if any(self.planned.get(action) for action in diff.SEND_ACTIONS):
            if self.cfg.object == "events":
                self._events()
            else:
                self._upserts()

    def _advance(self, rows: int) -> None:
        """Count rows settled; between calls, so the lease is renewed here too."""
        self.lease.renew()
        self.done += rows
        if self.progress is not None:
            self.progress(self.done, self.total)

    def _list(self, create: bool) -> str | None:
        if self.cfg.object != "list_members" or self.cfg.list_name is None:
            return None
        if not self._list_resolved or (self._list_id is None and create):
            self._list_id = self.destination.ensure_list(self.cfg.list_name, create=create)
            self._list_resolved = True
        return self._list_id

    def _rows(self, actions: tuple[str, ...]) -> Iterator[list[_Row]]:
        columns = self.declaration.mapped_columns
        sql = diff.actions_sql(self.declaration, actions)
        for batch in self.warehouse.stream(sql, list(self.scope)):
            yield [
                _Row(
                    action=row[0],
                    record_key=row[1],
                    row_hash=row[2],
                    old_hash=row[3],
                    destination_ref=row[4],
                    values=dict(zip(columns, row[FIXED_COLUMNS:], strict=True)),
                )
                for row in batch
            ]

    def _discard(self) -> None:
        keys = [row.record_key for batch in self._rows(("discard",)) for row in batch]
        state.forget(self.warehouse, self.scope, keys)

    def _erased_members(self) -> None:
        """Remove the erased people the state says are in the list; the next stream of
        rows to add then holds them back like any erased row."""
        tombstones = self.fresh.tombstones
        kept = ("unchanged", "changed", "retry")
        erased = [
            row
            for batch in self._rows(kept)
            for row in batch
            if tombstones.covers(email=row.record_key, contact_id=self._external_id(row))
        ]
        if erased:
            self.total += len(erased)
            self.result.removed_erased += len(erased)
            self._remove(iter([erased]))

    def _external_id(self, row: _Row) -> str | None:
        external = self.cfg.external_id
        return _text(row.values[external.column]) if external else None

    def _remove(self, rows: Iterator[list[_Row]]) -> None:
        list_id = self._list(create=False)
        for batch in rows:
            for chunk in chunks(batch, self.destination.limits.membership_rows):
                records = [
                    MemberRecord(row.record_key, row.record_key, row.destination_ref)
                    for row in chunk
                ]
                if list_id is None:  # no list yet: nobody is in it
                    confirmed = {row.record_key: row.destination_ref for row in chunk}
                    state.mark_removed(self.warehouse, self.scope, confirmed)
                    self.result.removed += len(chunk)
                    self._advance(len(chunk))
                    continue
                outcome = self.destination.remove_list_members(list_id, records)
                self.result.removed += len(chunk)
                refs = {key: outcome.refs.get(key) for key in outcome.succeeded}
                state.mark_removed(self.warehouse, self.scope, refs)
                self._failed(chunk, outcome.failures([row.record_key for row in chunk]))
                self._advance(len(chunk))

    def _upserts(self) -> None:
        limits = self.destination.limits
        max_rows = min(limits.upsert_rows, self.cfg.batch_size)
        list_id = self._list(create=True)
        for batch in batches(
            self._records(),
            max_rows=max_rows,
            max_bytes=limits.upsert_bytes,
            size_of=lambda pair: pair[2],
        ):
            batch = self._not_erased_meanwhile(batch)
            if not batch:
                continue
            rows = [row for row, _, _ in batch]
            for row in rows:
                self._count(row)
            outcome = self.destination.upsert_profiles([record for _, record, _ in batch], list_id)
            by_key = {row.record_key: row for row in rows}
            hashes = {key: by_key[key].row_hash or "" for key in outcome.succeeded}
            refs = {key: outcome.refs.get(key) or by_key[key].destination_ref for key in hashes}
            state.mark_synced(self.warehouse, self.scope, hashes, refs)
            self._failed(rows, outcome.failures(list(by_key)))
            self._advance(len(rows))

    def _not_erased_meanwhile(
        self, batch: list[tuple[_Row, ProfileRecord, int]]
    ) -> list[tuple[_Row, ProfileRecord, int]]:
        """The batch but whom an erasure committed during the run covers (the tombstones are
        read again before each call): an upsert would re-create the profile it is deleting."""
        self.fresh.reload_tombstones(self.warehouse)
        tombstones = self.fresh.tombstones
        kept = []
        for item in batch:
            record = item[1]
            if tombstones.covers(email=record.record_key, contact_id=record.external_id):
                self._hold_back(ERASED)
            else:
                kept.append(item)
        return kept

    def _count(self, row: _Row) -> None:
        if row.action == "added":
            self.result.added += 1
        elif row.action == "changed":
            self.result.changed += 1
        else:
            self.result.retried += 1

    def _events(self) -> None:
        """Each row once, as an event whose ``unique_id`` is its key. The state advances
        for a group of rows after their calls: a crash in between leaves them unconfirmed,
        and the next run sends them again as the same events, which the destination
        records once. When the destination stops answering, the rest of the run waits."""
        per_call = max(1, self.destination.limits.event_rows)
        unavailable: str | None = None
        for batch in self._rows(diff.SEND_ACTIONS):
            for group in chunks(batch, EVENT_STATE_ROWS):
                records, failed = self._event_records(group)
                sent: list[str] = []
                for call in chunks(records, per_call):
                    keys = [record.record_key for record in call]
                    if unavailable is not None:
                        failed.update(dict.fromkeys(keys, unavailable))
                        continue
                    outcome = self.destination.track_events(call)
                    self.checkpoint(AFTER_EVENT_CALL)
                    sent += outcome.succeeded
                    failed.update(outcome.failures(keys))
                    if outcome.unavailable:
                        unavailable = (
                            f"not sent, the destination was unavailable: {outcome.unavailable}"
                        )
                sendable = [row for row in group if row.record_key in set(sent) | set(failed)]
                for row in sendable:
                    self._count(row)
                by_key = {row.record_key: row for row in group}
                state.mark_synced(
                    self.warehouse,
                    self.scope,
                    {key: by_key[key].row_hash or "" for key in sent},
                    {},
                )
                self._failed(group, failed)
                self.checkpoint(AFTER_EVENT_STATE)
                self._advance(len(sendable))

    def _event_records(self, rows: Sequence[_Row]) -> tuple[list[EventRecord], dict[str, str]]:
        """The rows as events, but those held back (counted, sent by no call) and those that
        cannot be an event (returned as failures, with why)."""
        event = self.cfg.event
        assert event is not None  # declarations: required for object 'events'
        records: list[EventRecord] = []
        failed: dict[str, str] = {}
        for row in rows:
            email = _text(row.values[self.cfg.identifier.column])
            held = self.fresh.reason(self._external_id(row), email)
            if held is not None:
                self._hold_back(held)
                continue
            metric = _text(row.values[event.metric.column])
            moment = row.values[event.time.column]
            if not metric or moment is None:
                failed[row.record_key] = (
                    f"event.metric ({event.metric.column}) and event.time "
                    f"({event.time.column}) must not be null"
                )
                continue
            try:
                properties = self._properties(row)
            except BadRow as exc:
                failed[row.record_key] = str(exc)
                continue
            records.append(
                EventRecord(
                    record_key=row.record_key,
                    metric=metric,
                    email=normalize_email(email) if email else None,
                    external_id=self._external_id(row),
                    properties=properties,
                    time=str(_json_value(moment)),
                    value=None,
                    unique_id=row.record_key,
                )
            )
        return records, failed

    def _records(self) -> Iterator[tuple[_Row, ProfileRecord, int]]:
        limit = self.destination.limits.record_bytes
        for batch in self._rows(diff.SEND_ACTIONS):
            unsendable: dict[str, str] = {}
            for row in batch:
                try:
                    properties = self._properties(row)
                except BadRow as exc:
                    unsendable[row.record_key] = str(exc)
                    continue
                record = ProfileRecord(
                    record_key=row.record_key,
                    email=_text(row.values[self.cfg.identifier.column]),
                    external_id=self._external_id(row),
                    attributes={
                        target: _json_value(row.values[column])
                        for target, column in self.cfg.fields.attributes.items()
                    },
                    properties=properties,
                )
                held = self.fresh.reason(record.external_id, record.record_key)
                if held is not None:
                    self._hold_back(held)
                    continue
                size = self.destination.record_size(record)
                if size > limit:
                    unsendable[row.record_key] = f"profile is {size} bytes; the limit is {limit}"
                    continue
                yield row, record, size
            if unsendable:
                self._failed([row for row in batch if row.record_key in unsendable], unsendable)

    def _properties(self, row: _Row) -> dict[str, Any]:
        fields = self.cfg.fields
        properties = {
            target: _json_value(row.values[column]) for target, column in fields.properties.items()
        }
        for target, column in fields.lists.items():
            properties[target] = _json_list(row.values[column], f"fields.lists.{target}")
        return properties

    def _hold_back(self, reason: str) -> None:
        self.result.held_back += 1
        by_reason = self.result.held_back_by_reason
        by_reason[reason] = by_reason.get(reason, 0) + 1
        self._advance(1)

    def _failed(self, rows: Sequence[_Row], errors: dict[str, str]) -> None:
        if not errors:
            return
        # every reason is stored, logged and reported: no form of a key in any of them
        errors = {key: redact(reason, self.secrets) for key, reason in errors.items()}
        previous = {row.record_key: (row.old_hash, row.destination_ref) for row in rows}
        state.mark_failed(self.warehouse, self.scope, errors, previous)
        self.result.failed += len(errors)
        for key, reason in errors.items():  # every reason is in the state table
            if len(self.result.errors) >= MAX_REPORTED_ERRORS:
                log.warning(
                    "sync %s: more rows failed; see %s (status = 'failed')",
                    self.declaration.name,
                    state.STATE_TABLE,
                )
                break
            self.result.errors[key] = reason
            log.warning("sync %s: %s failed: %s", self.declaration.name, key, reason)


def _check_columns(declaration: SyncDeclaration, warehouse: WarehouseConnection) -> None:
    columns = warehouse.columns(declaration.schema_name, declaration.table_name)
    if columns is None:
        raise DeclarationError(
            [
                f"exposure {declaration.name}: its model {declaration.model_unique_id} has no "
                f"table {declaration.schema_name}.{declaration.table_name} in "
                f"{warehouse.location}; build it with dbt first"
            ]
        )
    cfg = declaration.config
    references = [("identifier.column", cfg.identifier.column)]
    if cfg.external_id:
        references.append(("external_id.column", cfg.external_id.column))
    if cfg.event:
        references += [
            (f"event.{part}", getattr(cfg.event, part).column) for part in ("id", "metric", "time")
        ]
    if declaration.segment_keys:
        references.append(("segments (its rows' segment column)", SEGMENT_COLUMN))
    references += [(f"fields.attributes.{t}", c) for t, c in cfg.fields.attributes.items()]
    references += [(f"fields.properties.{t}", c) for t, c in cfg.fields.properties.items()]
    references += [(f"fields.lists.{t}", c) for t, c in cfg.fields.lists.items()]
    problems = [
        f"exposure {declaration.name}: meta.nudge_sync.{where} refers to column {column!r}, "
        f"which {declaration.schema_name}.{declaration.table_name} does not have "
        f"(columns: {', '.join(columns)})"
        for where, column in references
        if column not in columns
    ]
    if problems:
        raise DeclarationError(problems)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _json_list(value: Any, where: str) -> list[Any] | None:
    """A ``fields.lists`` column: JSON array text (or null) -> the list it holds."""
    if value is None or isinstance(value, list):
        return value
    try:
        parsed = json.loads(str(value))
    except ValueError:
        parsed = None
    if not isinstance(parsed, list):
        raise BadRow(f"{where}: the column must hold a JSON array as text, got {value!r:.200}")
    return parsed


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat() if value.tzinfo else value.isoformat() + "+00:00"
    if isinstance(value, date):
        return value.isoformat()
    return value
