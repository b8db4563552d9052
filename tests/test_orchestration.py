"""The Dagster code location loads, groups assets by folder, and materializes the dbt graph."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
import requests
from dagster import AssetKey, materialize

from nudge.generator import generate
from orchestration.definitions import defs
from orchestration.translator import group_for_node

pytestmark = pytest.mark.slow


def test_definitions_load_with_dbt_assets_grouped_by_folder() -> None:
    repository = defs.get_repository_def()
    groups = {
        spec.key.path[-1]: spec.group_name
        for assets in repository.assets_defs_by_key.values()
        for spec in assets.specs
    }
    assert groups["contact_profiles"] == "contacts"
    assert groups["contact_rfm"] == "contacts"
    assert groups["stg_events"] == "staging"
    assert groups["int_orders_netted"] == "intermediate"
    assert groups["rfm_segment_map"] == "reference"
    assert groups["sync_klaviyo_subscribers"] == "syncs"
    assert groups["events"] == groups["identifies"] == groups["product_catalog"] == "raw"


def test_group_for_node_follows_the_folder() -> None:
    assert group_for_node({"resource_type": "source", "fqn": ["nudge", "raw", "events"]}) == "raw"
    model = {"resource_type": "model", "fqn": ["nudge", "marts", "contacts", "contact_rfm"]}
    assert group_for_node(model) == "contacts"
    staging = {"resource_type": "model", "fqn": ["nudge", "staging", "stg_events"]}
    assert group_for_node(staging) == "staging"


def test_materializes_every_dbt_asset(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generate(warehouse, contacts=150, seed=3, end=datetime(2026, 11, 1), days=120)
    monkeypatch.setenv("NUDGE_WAREHOUSE", str(warehouse))
    dbt_assets = defs.get_assets_def(AssetKey(["contacts", "contact_rfm"]))
    dbt = defs.get_repository_def().get_top_level_resources()["dbt"]

    result = materialize(
        [dbt_assets],
        resources={"dbt": dbt},
        run_config={"ops": {dbt_assets.op.name: {"config": {"as_of": "2026-11-01 00:00:00"}}}},
    )

    assert result.success
    materialized = {event.asset_key.path[-1] for event in result.get_asset_materialization_events()}
    assert {"contact_profiles", "contact_rfm", "stg_events"} <= materialized
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute("select count(*) from contacts.contact_rfm").fetchone()
    assert row is not None and row[0] > 0


def test_dagster_webserver_serves_the_asset_graph(tmp_path: Path) -> None:
    """What `nudge dagster` opens: the webserver loads the code location and lists assets."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    webserver = Path(sys.executable).parent / "dagster-webserver"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path),
        "NUDGE_WAREHOUSE": str(tmp_path / "w.duckdb"),
    }
    command = [
        str(webserver),
        "-m",
        "orchestration.definitions",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            try:
                if requests.get(f"{url}/server_info", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the Dagster webserver did not come up"
            time.sleep(0.5)
        query = "{ assetNodes { assetKey { path } groupName } }"
        response = requests.post(f"{url}/graphql", json={"query": query}, timeout=60)
        nodes = response.json()["data"]["assetNodes"]
    finally:
        process.terminate()
        process.wait(timeout=30)
    groups = {node["assetKey"]["path"][-1]: node["groupName"] for node in nodes}
    assert groups["contact_rfm"] == "contacts"
    assert groups["events"] == "raw"
