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
    assert path == tmp_path / "shop_dbt" / "target" / "manifest.snapshot.json"
    assert parses == [warehouse]
    assert dbt_manifest.load_manifest(warehouse) == {"nodes": {}}
    assert parses == [warehouse]  # fresh: reused


def test_a_manifest_older_than_a_dbt_file_is_parsed_again(
    tmp_path: Path, parses: list[Path]
) -> None:
    warehouse = tmp_path / "shop.duckdb"
    dbt_manifest.manifest_path(warehouse)
    written = dbt_artifacts_dir(warehouse) / "target" / "manifest.json"
    older = dbt_manifest.newest_dbt_file() - 60
    os.utime(written, (older, older))
    dbt_manifest.manifest_path(warehouse)
    assert parses == [warehouse, warehouse]
    assert written.stat().st_mtime > older
    assert written.stat().st_mtime <= time.time()


def test_dagster_finds_the_manifest_of_its_warehouse_by_the_same_rule(
    tmp_path: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "elsewhere" / "shop.duckdb"
    monkeypatch.setenv("NUDGE_WAREHOUSE", str(warehouse))
    assert ensure_manifest() == dbt_manifest.manifest_path(warehouse)
    assert parses == [warehouse]


def _rewrite(written: Path, text: str) -> None:
    """dbt rewriting its manifest in place, a moment later than the last write."""
    written.write_text(text, encoding="utf-8")
    later = time.time() + 1
    os.utime(written, (later, later))


def test_readers_never_see_a_manifest_dbt_is_still_writing(
    tmp_path: Path, parses: list[Path]
) -> None:
    warehouse = tmp_path / "shop.duckdb"
    dbt_manifest.manifest_path(warehouse)
    written = dbt_artifacts_dir(warehouse) / "target" / "manifest.json"

    _rewrite(written, '{"nodes": {"model.nudge.new": {')  # `nudge build` mid-write
    assert dbt_manifest.load_manifest(warehouse) == {"nodes": {}}  # the last whole one

    _rewrite(written, '{"nodes": {"model.nudge.new": {}}}')  # finished
    assert dbt_manifest.load_manifest(warehouse) == {"nodes": {"model.nudge.new": {}}}
    assert parses == [warehouse]


def test_a_manifest_that_never_becomes_whole_names_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dbt_manifest, "HALF_WRITTEN_WAIT_S", (0.0, 0.0))
    warehouse = tmp_path / "shop.duckdb"
    written = dbt_artifacts_dir(warehouse) / "target" / "manifest.json"
    written.parent.mkdir(parents=True)
    _rewrite(written, '{"nodes": ')  # a dbt command killed while writing
    with pytest.raises(dbt_manifest.ManifestUnreadableError, match="nudge build"):
        dbt_manifest.manifest_path(warehouse)
