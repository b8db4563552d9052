"""Sync declarations: dbt exposures carrying a ``meta.nudge_sync`` block, read from dbt's
``manifest.json``. A wrong declaration fails fast with the exposure, the field and the fix.

    exposures:
      - name: klaviyo_subscribers
        type: application
        depends_on: [ref('sync_klaviyo_subscribers')]
        config:
          meta:
            nudge_sync:
              destination: klaviyo
              object: list_members
              mode: mirror
              list_name: "Nudge — Subscribers"
              identifier: {column: email}
              external_id: {column: contact_id}
              fields:
                attributes: {first_name: first_name, location.timezone: timezone}
                properties: {rfm_segment: rfm_segment}
              schedule: "*/30 * * * *"
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, cast, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator

from .destinations.registry import DESTINATIONS, SPECS, destinations_with, spec_for
from .destinations.spec import PLAIN_NAME
from .errors import DeclarationError
from .segment_models import SEGMENT_COLUMN as SEGMENT_COLUMN  # what syncs filter on
from .segment_models import SegmentSources, find_segment_sources

META_KEY = "nudge_sync"
_COLUMN_RE = PLAIN_NAME
_CRON_FIELD_RE = re.compile(r"^[\d*/,\-A-Za-z?LW#]+$")
_EXAMPLES = {
    "destination": "destination: klaviyo",
    "object": "object: list_members",
    "mode": "mode: mirror",
    "identifier": "identifier: {column: email}",
    "identifier.column": "identifier: {column: email}",
    "external_id.column": "external_id: {column: contact_id}",
    "event.id": "event: {id: transition_key, metric: metric, time: transitioned_at}",
}
for _spec in SPECS:
    _EXAMPLES.update(_spec.examples)
SEGMENT_PLACEHOLDER = "{segment}"
SEGMENT_SEPARATOR = "__"  # expanded sync names: <exposure>__<segment_key>
_SEGMENT_KEY_RE = re.compile(r"^[a-z0-9_]+$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnRef(_Strict):
    column: str

    @field_validator("column")
    @classmethod
    def _plain_column(cls, value: str) -> str:
        if not _COLUMN_RE.match(value):
            raise ValueError(f"must be a plain column name (letters, digits, _), got {value!r}")
        return value


class FieldMapping(_Strict):
    """Destination field -> warehouse column. ``lists`` are properties whose column holds a
    JSON array as text (e.g. nudge_segments), sent as a list."""

    attributes: dict[str, str] = Field(default_factory=dict)
    properties: dict[str, str] = Field(default_factory=dict)
    lists: dict[str, str] = Field(default_factory=dict)

    @field_validator("attributes", "properties", "lists")
    @classmethod
    def _plain_columns(cls, value: dict[str, str]) -> dict[str, str]:
        for target, column in value.items():
            if not _COLUMN_RE.match(column):
                raise ValueError(f"{target}: must map to a plain column name, got {column!r}")
        return value


class EventColumns(_Strict):
    """``object: events``: which columns make each row an event. ``id`` is its idempotency
    key (the sync's record key and the event's ``unique_id``): a row is sent once, and a
    resend after a crash is the same event, which the destination records once."""

    id: ColumnRef
    metric: ColumnRef
    time: ColumnRef


class NudgeSync(_Strict):
    """A ``meta.nudge_sync`` block; read through ``DeclaredSync``, which adds the destination
    names and each destination's own block (``braze:``, ``mailchimp:``, …) from the registry."""

    destination: str
    object: Literal["list_members", "profiles", "events"]
    mode: Literal["upsert", "mirror"]
    identifier: ColumnRef
    list_name: str | None = None
    external_id: ColumnRef | None = None
    fields: FieldMapping = Field(default_factory=FieldMapping)
    schedule: str | None = None
    # segment keys (segment_memberships.segment_key): list_members syncs one list per
    # segment (list_name holds {segment}); events sends only those segments' rows
    segments: list[str] | None = None
    event: EventColumns | None = None
    batch_size: int = Field(default=10_000, ge=1, le=10_000)

    def destination_options(self) -> BaseModel | None:
        """The block for this sync's destination (``braze:``, ``mailchimp:``, …), if any."""
        options: BaseModel | None = getattr(self, self.destination, None)
        return options

    @field_validator("segments")
    @classmethod
    def _segment_keys(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return value
        if not value:
            raise ValueError("must list at least one segment key, e.g. [high_value, rfm_at_risk]")
        bad = [key for key in value if not _SEGMENT_KEY_RE.match(key)]
        if bad:
            raise ValueError(f"segment keys are lowercase letters, digits and _, got {bad}")
        repeated = sorted({key for key in value if value.count(key) > 1})
        if repeated:
            raise ValueError(f"lists {', '.join(repeated)} more than once")
        return value

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = value.split()
        if len(parts) != 5 or not all(_CRON_FIELD_RE.match(part) for part in parts):
            raise ValueError(
                f"must be a 5-field cron expression like '*/30 * * * *', got {value!r}"
            )
        return value


DeclaredSync: type[NudgeSync] = create_model(
    "NudgeSync",
    __base__=NudgeSync,
    destination=(cast(Any, Literal)[DESTINATIONS], ...),
    **{spec.name: (spec.options | None, None) for spec in SPECS if spec.options},  # type: ignore[call-overload]
)


class SyncDeclaration(BaseModel):
    """One sync, resolved against the manifest."""

    model_config = ConfigDict(frozen=True)

    name: str
    model_unique_id: str
    relation_name: str
    schema_name: str
    table_name: str
    config: NudgeSync
    description: str = ""
    # the exposure it was declared in (``name`` too, unless expanded per segment)
    exposure_name: str = ""
    # a list_members sync declared with ``segments:`` becomes one sync per segment: this
    # one's key (its rows are the model's rows with segment_key = it)
    segment_key: str | None = None
    # where the segment keys a declaration may name are read from (run time)
    segment_sources: SegmentSources | None = None

    @property
    def mapped_columns(self) -> list[str]:
        """Every warehouse column the sync reads, in a stable order."""
        cfg = self.config
        columns = [cfg.identifier.column]
        if cfg.external_id:
            columns.append(cfg.external_id.column)
        if cfg.event:
            columns += [cfg.event.id.column, cfg.event.metric.column, cfg.event.time.column]
        columns += list(cfg.fields.attributes.values()) + list(cfg.fields.properties.values())
        columns += list(cfg.fields.lists.values())
        return list(dict.fromkeys(columns))

    @property
    def segment_keys(self) -> list[str]:
        """The segments this sync's rows are filtered to (none: every row)."""
        if self.segment_key is not None:
            return [self.segment_key]
        return list(self.config.segments or [])


def load_declarations(manifest: str | Path | Mapping[str, Any]) -> list[SyncDeclaration]:
    """Every exposure with ``meta.nudge_sync`` in a dbt manifest (path or parsed dict)."""
    data: Mapping[str, Any]
    if isinstance(manifest, Mapping):
        data = manifest
    else:
        with Path(manifest).open(encoding="utf-8") as handle:
            data = json.load(handle)
    nodes: Mapping[str, Any] = data.get("nodes", {})
    declarations: list[SyncDeclaration] = []
    problems: list[str] = []
    for exposure in data.get("exposures", {}).values():
        meta = _exposure_meta(exposure)
        if META_KEY not in meta:
            continue
        try:
            declaration = _declaration(exposure, meta[META_KEY], nodes)
        except DeclarationError as exc:
            problems += exc.problems
            continue
        declarations += _per_segment(declaration, nodes)
    if problems:
        raise DeclarationError(problems)
    return sorted(declarations, key=lambda declaration: declaration.name)


def get_declaration(manifest: str | Path | Mapping[str, Any], name: str) -> SyncDeclaration:
    declarations = load_declarations(manifest)
    for declaration in declarations:
        if declaration.name == name:
            return declaration
    known = ", ".join(d.name for d in declarations) or "none"
    raise DeclarationError([f"no sync named {name!r} in the manifest (declared syncs: {known})"])


def _per_segment(declaration: SyncDeclaration, nodes: Mapping[str, Any]) -> list[SyncDeclaration]:
    """A declaration naming segments knows where segment keys live; a list_members one
    becomes one sync per segment (own list, own state), named ``<exposure>__<segment_key>``."""
    cfg = declaration.config
    if not cfg.segments:
        return [declaration]
    declaration = declaration.model_copy(update={"segment_sources": find_segment_sources(nodes)})
    if cfg.object != "list_members":
        return [declaration]
    assert cfg.list_name is not None  # _semantic_problems: required for list_members
    return [
        declaration.model_copy(
            update={
                "name": f"{declaration.name}{SEGMENT_SEPARATOR}{key}",
                "segment_key": key,
                "config": cfg.model_copy(update=_segment_settings(cfg, key)),
            }
        )
        for key in cfg.segments
    ]


def _segment_settings(cfg: NudgeSync, key: str) -> dict[str, Any]:
    """What one segment's sync changes of the declaration: its list name, and the
    destination's options for that segment (on Customer.io: its own manual segment)."""
    assert cfg.list_name is not None
    settings: dict[str, Any] = {"list_name": cfg.list_name.replace(SEGMENT_PLACEHOLDER, key)}
    options = cfg.destination_options()
    per_segment = spec_for(cfg.destination).segment_options
    if options is not None and per_segment is not None:
        settings[cfg.destination] = per_segment(options, key)
    return settings


def _exposure_meta(exposure: Mapping[str, Any]) -> dict[str, Any]:
    meta = dict(exposure.get("meta") or {})
    meta.update((exposure.get("config") or {}).get("meta") or {})
    return meta


def _declaration(
    exposure: Mapping[str, Any], raw: Any, nodes: Mapping[str, Any]
) -> SyncDeclaration:
    name = str(exposure.get("name"))
    where = f"exposure {name}: meta.{META_KEY}"
    if not isinstance(raw, Mapping):
        raise DeclarationError([f"{where} must be a mapping, got {type(raw).__name__}"])
    try:
        config = DeclaredSync.model_validate(raw)
    except ValidationError as exc:
        raise DeclarationError([_describe(where, error) for error in exc.errors()]) from None
    problems = _semantic_problems(where, config)
    model_ids = [
        node_id
        for node_id in (exposure.get("depends_on") or {}).get("nodes", [])
        if str(node_id).startswith(("model.", "seed.", "snapshot."))
    ]
    if len(model_ids) != 1:
        problems.append(
            f"exposure {name}: depends_on must name exactly one model "
            f"(e.g. depends_on: [ref('sync_{name}')]), got {model_ids or 'none'}"
        )
    if problems:
        raise DeclarationError(problems)
    node = nodes.get(model_ids[0])
    if node is None or not node.get("relation_name"):
        raise DeclarationError(
            [f"exposure {name}: {model_ids[0]} has no relation_name in the manifest; run dbt parse"]
        )
    schema_name, table_name = _schema_and_table(str(node["relation_name"]))
    return SyncDeclaration(
        name=name,
        model_unique_id=model_ids[0],
        relation_name=str(node["relation_name"]),
        schema_name=schema_name,
        table_name=table_name,
        config=config,
        description=str(exposure.get("description") or ""),
        exposure_name=name,
    )


def _semantic_problems(where: str, config: NudgeSync) -> list[str]:
    problems = []
    if config.object == "list_members" and not config.list_name:
        problems.append(f"{where}.list_name is required when object is 'list_members'")
    if config.mode == "mirror" and config.object != "list_members":
        problems.append(
            f"{where}.mode 'mirror' removes members from a list, so object must be "
            f"'list_members', got {config.object!r}"
        )
    for target in config.fields.attributes:
        problem = spec_for(config.destination).attribute_problem(target)
        if problem:
            problems.append(f"{where}.fields.attributes.{target} {problem}")
    problems += _capability_problems(where, config) + _segment_problems(where, config)
    return problems + _destination_problems(where, config)


def _capability_problems(where: str, config: NudgeSync) -> list[str]:
    """What the sync needs of its destination that the destination's spec does not claim."""
    capabilities = spec_for(config.destination).capabilities
    if config.object == "list_members" and not capabilities.membership:
        return [
            f"{where}.object 'list_members' keeps a list (one per segment with segments:), "
            f"which destination {config.destination!r} cannot; object 'list_members' goes to "
            f"{', '.join(destinations_with('membership'))}"
        ]
    if config.object == "events" and not capabilities.idempotent_events:
        return [
            f"{where}.destination {config.destination!r} cannot de-duplicate events, so a "
            f"rerun after a crash could send one twice; object 'events' goes to "
            f"{', '.join(destinations_with('idempotent_events'))}"
        ]
    return []


def _segment_problems(where: str, config: NudgeSync) -> list[str]:
    """``segments:`` and ``object: events`` settings that contradict each other."""
    problems = []
    if config.object == "events":
        if config.event is None:
            problems.append(
                f"{where}.event is required when object is 'events' (e.g. {_EXAMPLES['event.id']})"
            )
        if config.mode != "upsert":
            problems.append(
                f"{where}.mode must be 'upsert' when object is 'events': an event sent is "
                f"never taken back, got {config.mode!r}"
            )
        if config.list_name:
            problems.append(f"{where}.list_name applies to list_members, not events; remove it")
    elif config.event is not None:
        problems.append(f"{where}.event applies only to object 'events'; remove it")
    if config.segments is None:
        return problems
    if config.object == "profiles":
        problems.append(
            f"{where}.segments applies to object list_members (a list per segment) or "
            f"events; a profiles sync sends every row"
        )
    if config.object == "list_members" and SEGMENT_PLACEHOLDER not in (config.list_name or ""):
        problems.append(
            f"{where}.list_name must contain {SEGMENT_PLACEHOLDER} when segments are listed, "
            f'so each segment gets its own list (e.g. list_name: "Nudge — {SEGMENT_PLACEHOLDER}"), '
            f"got {config.list_name!r}"
        )
    return problems


def _destination_problems(where: str, config: NudgeSync) -> list[str]:
    """Settings only some destinations need, or accept."""
    problems = [
        f"{where}.{spec.name} applies only to destination {spec.name}; remove it or set "
        f"destination: {spec.name}"
        for spec in SPECS
        if spec.options
        and spec.name != config.destination
        and getattr(config, spec.name, None) is not None
    ]
    return problems + spec_for(config.destination).declaration_problems(where, config)


def _describe(where: str, error: Any) -> str:
    location = ".".join(str(part) for part in error["loc"])
    kind = error["type"]
    given = error.get("input")
    if kind == "missing":
        example = _EXAMPLES.get(location)
        return f"{where}.{location} is required" + (f" (e.g. {example})" if example else "")
    if kind == "extra_forbidden":
        known = _known_settings(error["loc"])
        hint = f"; known settings here: {', '.join(known)}" if known else ""
        return f"{where}.{location} is not a known setting (check the spelling){hint}"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{where}.{location} must be {expected}, got {given!r}"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}.{location} {message}" + ("" if "got" in message else f", got {given!r}")


def _known_settings(loc: tuple[Any, ...]) -> list[str]:
    """The settings allowed next to the unknown one at ``loc``."""
    model: Any = DeclaredSync
    for part in loc[:-1]:
        field = model.model_fields.get(part)
        candidates = (field.annotation, *get_args(field.annotation)) if field else ()
        model = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if model is None:
            return []
    return sorted(model.model_fields)


def _schema_and_table(relation_name: str) -> tuple[str, str]:
    """``"db"."syncs"."sync_x"`` -> (syncs, sync_x)."""
    parts = [part.strip('"`') for part in re.findall(r'"[^"]*"|`[^`]*`|[^.]+', relation_name)]
    if len(parts) < 2:
        raise DeclarationError([f"cannot read schema and table from {relation_name!r}"])
    return parts[-2], parts[-1]
