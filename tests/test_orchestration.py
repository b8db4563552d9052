"""The Dagster code location loads, groups assets by folder, and materializes the dbt graph."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, materialize

from nudge.generator import generate
from orchestration.definitions import defs
from orchestration.translator import group_for_node

pytestmark = pytest.mark.slow


def test_definitions_load_with_dbt_assets_grouped_by_folder() -> None:
    repository = defs.get_repository_def()
    groups = {
        key.to_user_string(): spec.group_name
        for assets in repository.assets_defs_by_key.values()
        for key, spec in zip(assets.keys, assets.specs, strict=True)
    }
    assert groups["contact_profiles"] == "contacts"
    assert groups["contact_rfm"] == "contacts"
    assert groups["stg_events"] == "staging"
    assert groups["sync_klaviyo_subscribers"] == "syncs"


def test_group_for_node_follows_the_folder() -> None:
    assert group_for_node({"resource_type": "source", "fqn": ["nudge", "raw", "events"]}) == "raw"
    model = {"resource_type": "model", "fqn": ["nudge", "marts", "contacts", "contact_rfm"]}
    assert group_for_node(model) == "contacts"
    staging = {"resource_type": "model", "fqn": ["nudge", "staging", "stg_events"]}
    assert group_for_node(staging) == "staging"


def test_materializes_every_dbt_asset(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generate(warehouse, contacts=150, seed=3, end=datetime(2026, 11, 1), days=120)
    monkeypatch.setenv("NUDGE_WAREHOUSE", str(warehouse))
    dbt_assets = defs.get_assets_def(AssetKey("contact_rfm"))
    dbt = defs.get_repository_def().get_top_level_resources()["dbt"]

    result = materialize(
        [dbt_assets],
        resources={"dbt": dbt},
        run_config={"ops": {dbt_assets.op.name: {"config": {"as_of": "2026-11-01 00:00:00"}}}},
    )

    assert result.success
    materialized = {
        event.asset_key.to_user_string() for event in result.get_asset_materialization_events()
    }
    assert {"contact_profiles", "contact_rfm", "stg_events"} <= materialized
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute("select count(*) from contacts.contact_rfm").fetchone()
    assert row is not None and row[0] > 0
