"""One rule finds dbt's manifest of a warehouse, for the CLI and the Dagster code location
(nudge/dbt_manifest.py): the one beside the warehouse, parsed when missing or older than a
dbt file and reused otherwise; Dagster's is the one of NUDGE_WAREHOUSE."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from nudge import dbt_manifest
from nudge.dbt_runner import dbt_artifacts_dir
from orchestration.project import ensure_manifest


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The warehouses `dbt parse` ran for; each parse writes an empty manifest."""
    parsed: list[Path] = []

    def fake_dbt(args: list[str], warehouse: Path, **kwargs: object) -> None:
        assert args == ["parse"]
        parsed.append(warehouse)
        path = dbt_artifacts_dir(warehouse) / "target" / "manifest.json"
        path.write_text('{"nodes": {}}', encoding="utf-8")

    monkeypatch.setattr(dbt_manifest, "run_dbt", fake_dbt)
    return parsed


def test_a_missing_manifest_is_parsed_beside_its_warehouse(
    tmp_path: Path, parses: list[Path]
) -> None:
    warehouse = tmp_path / "shop.duckdb"
    path = dbt_manifest.manifest_path(warehouse)
    assert path == tmp_path / "shop_dbt" / "target" / "manifest.json"
    assert parses == [warehouse]
    assert dbt_manifest.load_manifest(warehouse) == {"nodes": {}}
    assert parses == [warehouse]  # fresh: reused


def test_a_manifest_older_than_a_dbt_file_is_parsed_again(
    tmp_path: Path, parses: list[Path]
) -> None:
    warehouse = tmp_path / "shop.duckdb"
    path = dbt_manifest.manifest_path(warehouse)
    older = dbt_manifest.newest_dbt_file() - 60
    os.utime(path, (older, older))
    dbt_manifest.manifest_path(warehouse)
    assert parses == [warehouse, warehouse]
    assert path.stat().st_mtime > older
    assert path.stat().st_mtime <= time.time()


def test_dagster_finds_the_manifest_of_its_warehouse_by_the_same_rule(
    tmp_path: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "elsewhere" / "shop.duckdb"
    monkeypatch.setenv("NUDGE_WAREHOUSE", str(warehouse))
    assert ensure_manifest() == dbt_manifest.manifest_path(warehouse)
    assert parses == [warehouse]
