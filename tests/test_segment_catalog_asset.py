"""The segment catalog as Dagster metadata: the asset reads the catalog from the warehouse
(hand-made segment tables, tests/test_segment_catalog.py) with the project's own manifest,
so every segment model is listed, members or not, with where the declared syncs send it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dagster import AssetKey, DagsterInstance, materialize

from orchestration.assets.segment_catalog import SEGMENT_CATALOG_KEY, segment_catalog_asset
from orchestration.resources import WarehouseResource
from tests.test_segment_catalog import _warehouse

MARTS = [
    AssetKey(["segments", "segment_memberships"]),
    AssetKey(["segments", "segment_transitions"]),
]


def test_the_catalog_asset_attaches_every_segment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # named as the profile names the DuckDB catalog, so the manifest's relations resolve
    path = _warehouse(tmp_path, name="nudge.duckdb")
    monkeypatch.setenv("NUDGE_WAREHOUSE", str(path))
    asset = segment_catalog_asset(MARTS)
    assert set(asset.asset_deps[SEGMENT_CATALOG_KEY]) == set(MARTS)
    result = materialize(
        [asset],
        resources={"warehouse": WarehouseResource()},
        instance=DagsterInstance.ephemeral(),
    )
    (event,) = result.get_asset_materialization_events()
    metadata: dict[str, Any] = {k: v.value for k, v in event.materialization.metadata.items()}
    rows = {row["segment"]: row for row in metadata["segments"]}

    assert metadata["as_of"] == "2026-03-09 06:00:00"
    assert metadata["dagster/row_count"] == len(rows)
    assert rows["new_customers"]["members"] == metadata["members/new_customers"] == 2
    assert rows["new_customers"]["weekly_change"] == 1
    assert rows["app_users"]["exited"] == 1 and rows["app_users"]["members"] == 0
    # segments of the project with no member here are still listed, with their rule
    for key in ("predicted_high_value", "likely_to_churn", "high_value"):
        assert rows[key]["members"] == 0 and rows[key]["definition"]
    predicted = rows["predicted_high_value"]["definition"]
    assert predicted.startswith("predicted 12-month CLV in the top var")
    # where the project's declarations send a segment
    assert 'klaviyo list "Nudge — high_value"' in rows["high_value"]["synced_to"]
    assert "klaviyo events" in rows["high_value"]["synced_to"]
    synced = 'klaviyo events, klaviyo list "Nudge — new_customers"'
    table = metadata["catalog"]
    assert f"| new_customers | 2 | +1 | 1 | 0 | {synced} | first order within" in table
    assert "| weekend_buyers | 0 | +0 | 0 | 0 | — |" in table
