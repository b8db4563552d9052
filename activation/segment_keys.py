"""The segment keys a sync declared with ``segments:`` may name, checked against the
warehouse before anything is planned or sent: every key that exists
(activation/segment_models.py: the single-segment models, even with no member yet, and the
keys the warehouse holds). An unknown key fails the sync naming it and listing the valid
ones.
"""

from __future__ import annotations

from .declarations import SyncDeclaration
from .errors import DeclarationError
from .segment_models import existing_segment_keys
from .warehouse import WarehouseConnection


def known_segment_keys(declaration: SyncDeclaration, warehouse: WarehouseConnection) -> set[str]:
    sources = declaration.segment_sources
    return set() if sources is None else existing_segment_keys(warehouse, sources)


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
