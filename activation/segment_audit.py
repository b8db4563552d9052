"""Segment lists against the warehouse: for each segment a sync mirrors into a list, its
members in ``segment_memberships``, those of them who may be emailed (the sync model's rows
for the segment: what the list must hold) and the size of the list in the destination.

    sizes = segment_list_sizes(warehouse, declarations, list_size=lambda name: ...)
    assert all(size.matches for size in sizes)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .declarations import SEGMENT_COLUMN, SyncDeclaration
from .warehouse import WarehouseConnection, quote

MEMBERSHIPS = "segments.segment_memberships"


@dataclass(frozen=True)
class SegmentListSize:
    sync_name: str
    segment_key: str
    list_name: str
    members: int  # segment_memberships rows of the segment
    emailable: int  # of them, rows of the sync model: who the list must hold
    list_size: int  # members of the list in the destination

    @property
    def matches(self) -> bool:
        return self.list_size == self.emailable


def segment_list_sizes(
    warehouse: WarehouseConnection,
    declarations: Sequence[SyncDeclaration],
    list_size: Callable[[str], int],
) -> list[SegmentListSize]:
    """One row per list sync of a segment (``declaration.segment_key``), in key order;
    ``list_size(list_name)`` reads the destination."""
    chosen = [d for d in declarations if d.segment_key is not None and d.config.list_name]
    members: dict[str, int] = dict(
        warehouse.fetchall(f"select segment_key, count(*) from {MEMBERSHIPS} group by segment_key")
    )
    sizes = []
    for declaration in sorted(chosen, key=lambda d: str(d.segment_key)):
        relation = f"{quote(declaration.schema_name)}.{quote(declaration.table_name)}"
        identifier = quote(declaration.config.identifier.column)
        emailable = warehouse.fetchall(
            f"select count(distinct lower(trim({identifier}))) from {relation}"
            f" where {quote(SEGMENT_COLUMN)} = ? and {identifier} is not null",
            [declaration.segment_key],
        )[0][0]
        list_name = str(declaration.config.list_name)
        sizes.append(
            SegmentListSize(
                sync_name=declaration.name,
                segment_key=str(declaration.segment_key),
                list_name=list_name,
                members=int(members.get(str(declaration.segment_key), 0)),
                emailable=int(emailable),
                list_size=list_size(list_name),
            )
        )
    return sizes
