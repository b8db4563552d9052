"""The segment keys a sync declared with ``segments:`` may name, checked against the
warehouse before anything is planned or sent: every single-segment model of the project
(``segment_<key>``, even with no member yet), every key ``segment_memberships`` or
``segment_transitions`` holds or held, and every RFM segment of the map seed
(``rfm_<segment>``). An unknown key fails the sync naming it and listing the valid ones.
"""

from __future__ import annotations

import re

from .declarations import SyncDeclaration
from .errors import DeclarationError
from .warehouse import WarehouseConnection

_RELATION_PART = re.compile(r'"[^"]*"|`[^`]*`|[^.]+')


def known_segment_keys(declaration: SyncDeclaration, warehouse: WarehouseConnection) -> set[str]:
    sources = declaration.segment_sources
    if sources is None:
        return set()
    keys = set(sources.model_keys)
    for relation in sources.key_relations:
        if _exists(warehouse, relation):
            keys |= {str(row[0]) for row in warehouse.fetchall(_distinct(relation))}
    if sources.rfm_map_relation and _exists(warehouse, sources.rfm_map_relation):
        rows = warehouse.fetchall(
            f"select distinct rfm_segment from {_local(sources.rfm_map_relation)}"
        )
        keys |= {f"rfm_{row[0]}" for row in rows if row[0] is not None}
    return keys


def check_segment_keys(declaration: SyncDeclaration, warehouse: WarehouseConnection) -> None:
    """Raise ``DeclarationError`` naming each listed segment key no source knows."""
    if not declaration.segment_keys or declaration.segment_sources is None:
        return
    known = known_segment_keys(declaration, warehouse)
    unknown = [key for key in declaration.segment_keys if key not in known]
    if unknown:
        raise DeclarationError(
            [
                f"exposure {declaration.exposure_name}: meta.nudge_sync.segments names "
                f"{key!r}, which is no segment; valid keys: {', '.join(sorted(known))}"
                for key in unknown
            ]
        )


def _distinct(relation: str) -> str:
    return f"select distinct segment_key from {_local(relation)} where segment_key is not null"


def _local(relation: str) -> str:
    """``"db"."schema"."table"`` -> ``"schema"."table"`` (the connection's own database)."""
    parts = _RELATION_PART.findall(relation)
    return ".".join(parts[-2:])


def _exists(warehouse: WarehouseConnection, relation: str) -> bool:
    schema, table = (part.strip('"`') for part in _RELATION_PART.findall(relation)[-2:])
    return warehouse.columns(schema, table) is not None
