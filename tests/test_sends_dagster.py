"""The Dagster send asset when the ESP is unavailable: the materialization records how many
due sends were left unsent, and its `no_sends_left_unsent` check fails saying so; once the
ESP answers again the same asset sends them and the check passes."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, materialize

from orchestration.assets.esp import UNSENT_CHECK, triggered_sends_asset
from orchestration.resources import EspResource, WarehouseResource
from tests.sends_helpers import (
    API_KEY,
    cli_sandbox,
    events_by_unique_id,
    make_warehouse,
    profile_row,
    send_row,
)

CONTACTS = ["c-00", "c-01", "c-02", "c-03"]


def _materialize(warehouse: Path) -> tuple[dict[str, object], bool, dict[str, object]]:
    asset = triggered_sends_asset("klaviyo", AssetKey(["triggers", "triggered_sends"]))
    result = materialize(
        [asset],
        resources={"warehouse": WarehouseResource(), "esp": EspResource()},
        instance=DagsterInstance.ephemeral(),
        selection=[AssetKey(["klaviyo", "triggered_sends"])],
    )
    (event,) = result.get_asset_materialization_events()
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == UNSENT_CHECK
    return metadata, check.passed, {k: v.value for k, v in check.metadata.items()}


def test_the_send_asset_check_fails_while_sends_are_left_unsent(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_warehouse(warehouse, [send_row(c) for c in CONTACTS], [profile_row(c) for c in CONTACTS])
    monkeypatch.setenv("NUDGE_WAREHOUSE", str(warehouse))
    with cli_sandbox(monkeypatch) as sandbox:
        sandbox.inject_fault(
            status=503, retry_after=0, method="POST", path="^/api/events$", times=None
        )
        metadata, passed, check = _materialize(warehouse)
        assert metadata["status"] == "unavailable" and metadata["not_attempted"] == 4
        assert not passed
        assert check["left_unsent"] == 4
        assert str(check["summary"]).startswith(
            "4 due sends left unsent: klaviyo was unavailable (POST /api/events -> HTTP 503"
        )
        assert API_KEY not in str(metadata) + str(check)

        sandbox.clear_faults()
        metadata, passed, check = _materialize(warehouse)
        assert (metadata["status"], metadata["sent"], metadata["not_attempted"]) == (
            "success",
            4,
            0,
        )
        assert passed and check["left_unsent"] == 0
        assert set(events_by_unique_id(sandbox)) == {send_row(c)["send_key"] for c in CONTACTS}
