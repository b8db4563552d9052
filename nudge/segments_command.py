"""`nudge segments`: the segment catalog (nudge/segment_catalog.py) for people or programs."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from activation.warehouse import open_warehouse
from nudge.dbt_manifest import load_manifest
from nudge.segment_catalog import SegmentCatalog, load_synced_catalog
from nudge.tabular_output import OutputFormat, print_rows

COLUMNS = ("segment", "members", "change", "entered", "exited", "synced_to", "definition")
NUMERIC = ("members", "change", "entered", "exited")


def print_segments(console: Console, warehouse: Path, output: OutputFormat) -> None:
    manifest = load_manifest(warehouse)
    with open_warehouse(warehouse, read_only=True) as connection:
        catalog = load_synced_catalog(connection, manifest)
    rows = [
        (
            entry.key,
            entry.members,
            entry.weekly_change,
            entry.entered_last_week,
            entry.exited_last_week,
            list(entry.synced_to),
            entry.definition,
        )
        for entry in catalog.entries
    ]
    print_rows(
        console,
        COLUMNS,
        rows,
        output,
        title=_title(catalog),
        numeric=NUMERIC,
        unbroken=("segment",),
    )


def _title(catalog: SegmentCatalog) -> str:
    when = catalog.as_of.strftime("%Y-%m-%d %H:%M UTC") if catalog.as_of else "never built"
    return f"{len(catalog.entries)} segments as of {when}; change = the week up to then"
