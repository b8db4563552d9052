"""Who a destination account holds, as Nudge synced them: the ESP's own reference (for
Braze and Customer.io, the contact id they are addressed by) of every row a sync confirmed
there (``activation.sync_state``; a row whose last update failed keeps its reference), read
from the warehouse a page at a time."""

from __future__ import annotations

from collections.abc import Iterator

from .state import STATE, STATE_TABLE
from .warehouse import WarehouseConnection

PAGE = 5_000


def synced_refs(
    warehouse: WarehouseConnection, destination_target: str, *, page: int = PAGE
) -> Iterator[str]:
    """Each distinct ``destination_ref`` held at ``destination_target``, in order."""
    if warehouse.columns(STATE.schema, STATE.name) is None:
        return
    after = ""
    while True:
        rows = warehouse.fetchall(
            f"select distinct destination_ref from {STATE_TABLE}"
            " where destination_target = ? and destination_ref is not null"
            " and destination_ref > ?"
            f" order by destination_ref limit {int(page)}",
            [destination_target, after],
        )
        yield from (str(row[0]) for row in rows)
        if len(rows) < page:
            return
        after = str(rows[-1][0])
