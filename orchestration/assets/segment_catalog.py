"""The segment catalog (nudge/segment_catalog.py, what `nudge segments` prints) as an asset
downstream of segment_memberships and segment_transitions: each materialization reads it
from the warehouse and attaches it as metadata, so the Dagster UI shows every segment's
definition, size, weekly change and where it is synced, and plots the sizes over runs."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
    multi_asset,
)

from activation.warehouse import open_warehouse
from nudge.segment_catalog import SegmentCatalog, load_synced_catalog
from orchestration.project import ensure_manifest
from orchestration.resources import WarehouseResource

SEGMENT_CATALOG_KEY = AssetKey(["segments", "segment_catalog"])
COLUMNS = ("segment", "members", "weekly change", "entered", "exited", "synced to", "definition")


def segment_catalog_asset(segment_marts: Sequence[AssetKey]) -> AssetsDefinition:
    spec = AssetSpec(
        SEGMENT_CATALOG_KEY,
        deps=list(segment_marts),
        group_name="segments",
        kinds={"python"},
        description="Every segment with its definition (the segment model's description), "
        "members, the last week's entries, exits and net change, and the ESP lists or "
        "events it is synced to: the catalog `nudge segments` prints.",
    )

    @multi_asset(name="segment_catalog", specs=[spec])
    def _catalog(warehouse: ResourceParam[WarehouseResource]) -> Iterator[MaterializeResult]:
        manifest = json.loads(ensure_manifest().read_text())
        with open_warehouse(warehouse.path, read_only=True) as connection:
            catalog = load_synced_catalog(connection, manifest)
        yield MaterializeResult(asset_key=SEGMENT_CATALOG_KEY, metadata=catalog_metadata(catalog))

    return _catalog


def catalog_metadata(catalog: SegmentCatalog) -> dict[str, Any]:
    """The table as markdown, the same rows as JSON, and one number per segment (its
    members), which the UI plots across materializations."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    rows = []
    for entry in catalog.entries:
        synced_to = ", ".join(entry.synced_to)
        cells = (
            entry.key,
            entry.members,
            f"{entry.weekly_change:+d}",
            entry.entered_last_week,
            entry.exited_last_week,
            synced_to or "—",
            entry.definition.replace("|", "\\|"),
        )
        lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
        rows.append(
            {
                "segment": entry.key,
                "members": entry.members,
                "weekly_change": entry.weekly_change,
                "entered": entry.entered_last_week,
                "exited": entry.exited_last_week,
                "synced_to": list(entry.synced_to),
                "definition": entry.definition,
            }
        )
    return {
        "dagster/row_count": len(catalog.entries),
        "as_of": str(catalog.as_of) if catalog.as_of else "never built",
        "catalog": MetadataValue.md("\n".join(lines)),
        "segments": MetadataValue.json(rows),
        **{f"members/{entry.key}": entry.members for entry in catalog.entries},
    }
