"""The measurement report (nudge.report) as an asset downstream of the performance marts:
each materialization rewrites the static HTML file beside the warehouse and attaches its path
and the flows' headline rates, so the UI links the marts to what marketers open."""

from collections.abc import Iterator, Sequence
from pathlib import Path
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

from nudge.report import write_report
from nudge.report.data import read_report_data
from orchestration.resources import WarehouseResource

REPORT_KEY = AssetKey(["performance", "report"])
REPORT_FILE = "report.html"


def report_path(warehouse: Path) -> Path:
    return warehouse.parent / REPORT_FILE


def report_asset(marts: Sequence[AssetKey]) -> AssetsDefinition:
    spec = AssetSpec(
        REPORT_KEY,
        deps=list(marts),
        group_name="performance",
        kinds={"html"},
        description="The marketers' report (RFM grid, segment sizes and movement, flow "
        "funnels, holdout lift with its interval, rates beside typical ranges), written to "
        f"{REPORT_FILE} beside the warehouse.",
    )

    @multi_asset(name="measurement_report", specs=[spec])
    def _report(warehouse: ResourceParam[WarehouseResource]) -> Iterator[MaterializeResult]:
        path = write_report(warehouse.path, report_path(warehouse.path))
        metadata = report_metadata(path, warehouse.path)
        yield MaterializeResult(asset_key=REPORT_KEY, metadata=metadata)

    return _report


def report_metadata(path: Path, warehouse: Path) -> dict[str, Any]:
    """The report's file and what it shows (also recorded for `nudge report`)."""
    data = read_report_data(warehouse)
    metadata: dict[str, Any] = {
        "path": MetadataValue.path(str(path.resolve())),
        "as_of": str(data.as_of),
        "flows": len(data.flows),
        "rfm_cells": len(data.rfm_cells),
    }
    if data.missing:
        metadata["missing_marts"] = ", ".join(data.missing)
    if data.flows:
        metadata["flow_rates"] = MetadataValue.md(_flow_table(data.flows))
    return metadata


def _flow_table(flows: Sequence[dict[str, Any]]) -> str:
    columns = [
        "trigger_key",
        "sends",
        "open_rate_pct",
        "open_rate_position",
        "click_rate_pct",
        "click_rate_position",
        "conversion_rate_pct",
        "conversion_rate_position",
    ]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in flows:
        lines.append("| " + " | ".join(_cell(row.get(name)) for name in columns) + " |")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)
