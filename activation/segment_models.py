"""Which segments exist, for everything that names them: a sync declared with ``segments:``
(activation/segment_keys.py checks its keys) and the segment catalog (nudge/segment_catalog.py).

The segment models are dbt's models tagged ``segment``. One whose YAML declares no
``segment_key`` column makes one segment, its name without ``segment_`` (a key that exists
even with no member yet); one that declares it makes several (``rfm_<segment>``,
``category_browser__<category>``), whose keys are read from the warehouse: every key
``segment_memberships`` or ``segment_transitions`` holds or held, and every RFM segment of
the map seed (``rfm_<segment>``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from .warehouse import WarehouseConnection

SEGMENT_TAG = "segment"
SEGMENT_COLUMN = "segment_key"  # a model's own key column, and the column syncs filter on
MODEL_PREFIX = "segment_"
MEMBERSHIPS = "segment_memberships"
TRANSITIONS = "segment_transitions"
RFM_MAP = "rfm_segment_map"
RFM_PREFIX = "rfm_"
_RELATION_PART = re.compile(r'"[^"]*"|`[^`]*`|[^.]+')


@dataclass(frozen=True)
class SegmentModel:
    name: str
    description: str
    key: str | None  # its one segment key; None when it makes several


class SegmentSources(BaseModel):
    """Where the segment keys are read from: the single-segment models' keys and the
    relations holding the others (see the module docstring)."""

    model_config = ConfigDict(frozen=True)

    model_keys: tuple[str, ...] = ()
    key_relations: tuple[str, ...] = ()
    rfm_map_relation: str | None = None


def segment_models(nodes: Mapping[str, Any]) -> list[SegmentModel]:
    """The models tagged ``segment`` of a manifest's nodes, by name."""
    models = []
    for node in nodes.values():
        name = str(node.get("name") or "")
        tags = (node.get("config") or {}).get("tags") or node.get("tags") or []
        is_model = node.get("resource_type", "model") == "model"
        if is_model and SEGMENT_TAG in tags and name.startswith(MODEL_PREFIX):
            makes_several = SEGMENT_COLUMN in (node.get("columns") or {})
            key = None if makes_several else name.removeprefix(MODEL_PREFIX)
            models.append(SegmentModel(name, str(node.get("description") or ""), key))
    return sorted(models, key=lambda model: model.name)


def find_segment_sources(nodes: Mapping[str, Any]) -> SegmentSources:
    relations = {
        str(node["name"]): str(node["relation_name"])
        for node in nodes.values()
        if node.get("name") in (MEMBERSHIPS, TRANSITIONS, RFM_MAP) and node.get("relation_name")
    }
    return SegmentSources(
        model_keys=tuple(m.key for m in segment_models(nodes) if m.key is not None),
        key_relations=tuple(
            relations[name] for name in (MEMBERSHIPS, TRANSITIONS) if name in relations
        ),
        rfm_map_relation=relations.get(RFM_MAP),
    )


def existing_segment_keys(warehouse: WarehouseConnection, sources: SegmentSources) -> set[str]:
    """Every segment key that exists (see the module docstring); relations not built yet
    are skipped."""
    keys = set(sources.model_keys)
    for relation in sources.key_relations:
        if _exists(warehouse, relation):
            rows = warehouse.fetchall(
                f"select distinct {SEGMENT_COLUMN} from {local_relation(relation)}"
                f" where {SEGMENT_COLUMN} is not null"
            )
            keys |= {str(row[0]) for row in rows}
    if sources.rfm_map_relation and _exists(warehouse, sources.rfm_map_relation):
        rows = warehouse.fetchall(
            f"select distinct rfm_segment from {local_relation(sources.rfm_map_relation)}"
        )
        keys |= {f"{RFM_PREFIX}{row[0]}" for row in rows if row[0] is not None}
    return keys


def local_relation(relation: str) -> str:
    """``"db"."schema"."table"`` -> ``"schema"."table"`` (the connection's own database)."""
    parts = _RELATION_PART.findall(relation)
    return ".".join(parts[-2:])


def _exists(warehouse: WarehouseConnection, relation: str) -> bool:
    schema, table = (part.strip('"`') for part in _RELATION_PART.findall(relation)[-2:])
    return warehouse.columns(schema, table) is not None
