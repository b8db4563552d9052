"""The segment catalog marketers read: every segment with its definition, its size, its change
over the last week and where it is synced (issue 16, item 6).

Definitions come from dbt's manifest (the description of each model tagged ``segment``, which
starts ``<key>: <rule>``), sizes and movement from ``segment_memberships`` and
``segment_transitions``, reached through the warehouse interface so any dbt target works.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from activation.declarations import SyncDeclaration, load_declarations
from activation.segment_models import (
    MEMBERSHIPS,
    RFM_MAP,
    RFM_PREFIX,
    TRANSITIONS,
    existing_segment_keys,
    find_segment_sources,
    segment_models,
)
from activation.warehouse import WarehouseConnection
from nudge.dbt_relations import relation_name

WEEK = timedelta(days=7)
# models producing several segments: the key's prefix each model gives them
MULTI_SEGMENT_PREFIXES = {"segment_rfm": "rfm_", "segment_category_browser": "category_browser__"}


@dataclass(frozen=True)
class SegmentEntry:
    key: str
    model: str
    definition: str
    members: int
    entered_last_week: int
    exited_last_week: int
    synced_to: tuple[str, ...] = ()

    @property
    def weekly_change(self) -> int:
        return self.entered_last_week - self.exited_last_week


@dataclass(frozen=True)
class SegmentCatalog:
    as_of: datetime | None
    entries: tuple[SegmentEntry, ...]


def _rule(description: str) -> str:
    """``"high_value: lifetime revenue in …. One row per …"`` → ``"lifetime revenue in …."``:
    the rule, without the key it starts with or the notes on the table's shape after it."""
    text = " ".join(description.split())
    head, separator, rest = text.partition(": ")
    rule = rest if separator and " " not in head else text
    first, period, _ = rule.partition(". ")
    return first + period.strip()


def load_catalog(
    connection: WarehouseConnection,
    manifest: Mapping[str, Any],
    synced_to: Mapping[str, Iterable[str]] | None = None,
) -> SegmentCatalog:
    """Every segment that exists (activation.segment_models, as sync declarations see them):
    the single-segment models (members or not), each RFM segment the seed maps, and each
    category a category-browser segment has had."""
    nodes = manifest["nodes"]
    models = {model.name: model for model in segment_models(nodes)}
    memberships = relation_name(manifest, MEMBERSHIPS)
    transitions = relation_name(manifest, TRANSITIONS)
    as_of = _latest_as_of(connection, memberships, transitions)
    sizes = {
        str(key): (str(model), int(count))
        for key, model, count in connection.fetchall(
            f"select segment_key, segment_model, count(*) from {memberships}"
            " group by segment_key, segment_model"
        )
    }
    moves = _moves_since(connection, transitions, as_of)
    rfm_cells = _rfm_cells(connection, relation_name(manifest, RFM_MAP))
    single = {model.key: model for model in models.values() if model.key is not None}
    keys: dict[str, tuple[str, str]] = {}  # key -> (model, definition)
    for key in sorted(existing_segment_keys(connection, find_segment_sources(nodes))):
        rfm_name = key.removeprefix(RFM_PREFIX)
        if key in single:
            keys[key] = (single[key].name, _rule(single[key].description))
        elif key.startswith(RFM_PREFIX) and rfm_name in rfm_cells and "segment_rfm" in models:
            keys[key] = ("segment_rfm", f"RFM recency/frequency scores {rfm_cells[rfm_name]}")
        else:
            model_name = sizes[key][0] if key in sizes else _model_by_prefix(key)
            if model_name in models:
                keys[key] = (model_name, _rule(models[model_name].description))
    destinations = synced_to or {}
    entries = tuple(
        SegmentEntry(
            key=key,
            model=model_name,
            definition=definition,
            members=sizes.get(key, ("", 0))[1],
            entered_last_week=moves.get(key, (0, 0))[0],
            exited_last_week=moves.get(key, (0, 0))[1],
            synced_to=tuple(destinations.get(key, ())),
        )
        for key, (model_name, definition) in keys.items()
    )
    return SegmentCatalog(as_of, entries)


def load_synced_catalog(
    connection: WarehouseConnection, manifest: Mapping[str, Any]
) -> SegmentCatalog:
    """The catalog with where each segment is synced, from the manifest's declarations."""
    return load_catalog(connection, manifest, sync_destinations(load_declarations(manifest)))


def sync_destinations(declarations: Iterable[SyncDeclaration]) -> dict[str, list[str]]:
    """segment_key → where its members go: ``klaviyo list "Nudge — high_value"`` for a list
    sync, ``klaviyo events`` for transitions sent as events."""
    destinations: dict[str, list[str]] = {}
    for declaration in declarations:
        config = declaration.config
        where = (
            f'{config.destination} list "{config.list_name}"'
            if config.object == "list_members"
            else f"{config.destination} {config.object}"
        )
        for key in declaration.segment_keys:
            destinations.setdefault(key, []).append(where)
    return destinations


def _model_by_prefix(key: str) -> str:
    for model, prefix in MULTI_SEGMENT_PREFIXES.items():
        if key.startswith(prefix):
            return model
    return f"segment_{key}"


def _latest_as_of(
    connection: WarehouseConnection, memberships: str, transitions: str
) -> datetime | None:
    """The as_of of the last build: memberships carry it; when no contact is in any segment,
    the last transition recorded (the exits of the last members) stands in."""
    for sql in (
        f"select max(as_of) from {memberships}",
        f"select max(transitioned_at) from {transitions}",
    ):
        rows = connection.fetchall(sql)
        if rows and rows[0][0] is not None:
            latest: datetime = rows[0][0]
            return latest
    return None


def _moves_since(
    connection: WarehouseConnection, transitions: str, as_of: datetime | None
) -> dict[str, tuple[int, int]]:
    """segment_key → (entered, exited) recorded in the week up to ``as_of``."""
    if as_of is None:
        return {}
    rows = connection.fetchall(
        "select segment_key,"
        " sum(case when transition = 'entered' then 1 else 0 end),"
        " sum(case when transition = 'exited' then 1 else 0 end)"
        f" from {transitions} where transitioned_at > ? and transitioned_at <= ?"
        " group by segment_key",
        [as_of - WEEK, as_of],
    )
    return {str(key): (int(entered), int(exited)) for key, entered, exited in rows}


def _rfm_cells(connection: WarehouseConnection, rfm_map: str) -> dict[str, str]:
    """RFM segment → its recency/frequency score pairs from the seed, e.g. ``"5/5, 5/4"``."""
    rows = connection.fetchall(
        f"select rfm_segment, r_score, f_score from {rfm_map}"
        " order by rfm_segment, r_score desc, f_score desc"
    )
    cells: dict[str, list[str]] = {}
    for segment, r_score, f_score in rows:
        cells.setdefault(str(segment), []).append(f"{r_score}/{f_score}")
    return {segment: ", ".join(values) for segment, values in cells.items()}
