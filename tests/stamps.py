"""Build stamps for hand-made warehouses: activation syncs and sends only from a model whose
newest build is stamped live (activation/build_stamps.py), as `nudge build` stamps it."""

from __future__ import annotations

from pathlib import Path

from activation.build_stamps import record_build_stamp
from activation.state import utcnow
from activation.warehouse import Warehouse


def stamp_live(path: Path, relation: str) -> None:
    """Record ``relation`` ('schema.table') as built just now, as of now."""
    with Warehouse(path) as warehouse:
        record_build_stamp(warehouse, relation, utcnow())
