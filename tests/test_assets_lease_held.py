"""The Dagster sync and send assets while another run (say a `nudge send` from a terminal)
holds their run lease: the tick does nothing, succeeds, and says so (its materialization
names the holder and its check warns) instead of failing the run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dagster import AssetCheckSeverity, AssetKey, AssetsDefinition, DagsterInstance, materialize

from activation import leases
from activation.state import utcnow
from activation.warehouse import Warehouse
from orchestration.assets.esp import UNSENT_CHECK, triggered_sends_asset
from orchestration.assets.leases import LEASE_HELD_STATUS
from orchestration.assets.syncs import FAILED_SHARE_CHECK, sync_assets
from orchestration.resources import EspResource, WarehouseResource
from tests.sends_helpers import cli_sandbox, make_warehouse, profile_row, send_row
from tests.test_sync_holds_back import make_warehouse as make_audience
from tests.test_sync_under_faults import declaration

CONTACTS = ("c-1", "c-2")


def held_by_another_run(path: Path, lease: str) -> None:
    now = utcnow()
    with Warehouse(path) as warehouse:
        warehouse.ensure_table(leases.LEASES)
        warehouse.insert_rows(
            leases.LEASES_TABLE,
            leases.LEASES.column_names,
            [(lease, "cli-run-3", "laptop-9", 4242, now, now + leases.LEASE_TTL)],
        )


def materialize_one(asset: AssetsDefinition, key: AssetKey) -> tuple[dict[str, Any], Any]:
    result = materialize(
        [asset],
        resources={"warehouse": WarehouseResource(), "esp": EspResource()},
        instance=DagsterInstance.ephemeral(),
        selection=[key],
    )
    assert result.success
    (event,) = result.get_asset_materialization_events()
    (check,) = result.get_asset_check_evaluations()
    return {k: v.value for k, v in event.materialization.metadata.items()}, check


def writes(sandbox: Any) -> list[Any]:
    return [r for r in sandbox.requests() if r["method"] != "GET"]


def test_the_send_asset_does_nothing_and_warns_while_another_run_holds_the_lease(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_warehouse(
        tmp_path / "w.duckdb", [send_row(c) for c in CONTACTS], [profile_row(c) for c in CONTACTS]
    )
    monkeypatch.setenv("NUDGE_WAREHOUSE", str(path))
    held_by_another_run(path, leases.SENDS)
    key = AssetKey(["klaviyo", "triggered_sends"])
    asset = triggered_sends_asset("klaviyo", AssetKey(["triggers", "triggered_sends"]))

    with cli_sandbox(monkeypatch) as sandbox:
        metadata, check = materialize_one(asset, key)
        assert writes(sandbox) == []

    assert metadata["status"] == LEASE_HELD_STATUS
    assert "cli-run-3 on laptop-9" in str(metadata["lease_held"])
    assert check.check_name == UNSENT_CHECK
    assert not check.passed and check.severity == AssetCheckSeverity.WARN
    with Warehouse(path) as warehouse:
        assert warehouse.fetchall("select count(*) from activation.send_ledger") == [(0,)]


def test_the_sync_asset_does_nothing_and_warns_while_another_run_of_it_holds_the_lease(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_audience(tmp_path / "w.duckdb")
    monkeypatch.setenv("NUDGE_WAREHOUSE", str(path))
    sync = declaration(5)
    monkeypatch.setattr(
        "orchestration.assets.syncs.get_asset_key_for_model",
        lambda assets, name: AssetKey(["syncs", name]),
    )
    (asset,) = sync_assets([sync], dbt_assets=None)  # type: ignore[arg-type]

    with cli_sandbox(monkeypatch) as sandbox:
        target = EspResource().settings("klaviyo").target
        held_by_another_run(path, leases.sync_lease(sync.name, target))
        metadata, check = materialize_one(asset, AssetKey(["klaviyo", sync.name]))
        assert sandbox.requests() == []

    assert metadata["status"] == LEASE_HELD_STATUS
    assert f"the {leases.sync_lease(sync.name, target)} lease" in str(metadata["lease_held"])
    assert check.check_name == FAILED_SHARE_CHECK
    assert not check.passed and check.severity == AssetCheckSeverity.WARN
