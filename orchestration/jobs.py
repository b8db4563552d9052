"""The jobs: what each one refreshes (the README's "Dagster" section describes them).

Every job writes the one DuckDB warehouse, which takes one writer at a time, so all of them
carry WAREHOUSE_TAG: the run queue (orchestration/dagster.yaml) and the schedules and the
sensor (orchestration/run_guard.py) keep runs that share it from overlapping."""

from __future__ import annotations

from collections.abc import Sequence

from dagster import AssetKey, AssetsDefinition, AssetSelection, define_asset_job
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition as AssetJob,
)

WAREHOUSE_TAG = "nudge/warehouse"
DBT_OP = "nudge_dbt_models"

TRIGGER_JOB = "trigger_job"
HOURLY_JOB = "hourly_build_job"
DAILY_JOB = "daily_full_refresh_job"


def trigger_job(
    dbt: AssetsDefinition,
    segment_transitions: AssetKey,
    pulls: Sequence[AssetKey],
    send_assets: Sequence[AssetKey],
    raw: Sequence[AssetKey],
) -> AssetJob:
    """ESP suppressions in, trigger models + segment transitions (with the models they
    read), then the due sends out. dbt's data tests run as asset checks, the incremental
    models' key uniqueness on the keys written lately; its unit tests, which test the code
    and not the data, do not (the hourly job runs them, and checks every key)."""
    refreshed = AssetSelection.groups("triggers") | AssetSelection.assets(segment_transitions)
    return define_asset_job(
        TRIGGER_JOB,
        selection=(refreshed.upstream() & AssetSelection.assets(dbt))
        | AssetSelection.assets(*pulls, *send_assets)
        | AssetSelection.checks_for_assets(*raw),
        config={"ops": {DBT_OP: {"config": {"unit_tests": False, "written_keys_only": True}}}},
        description="Every few minutes (NUDGE_TRIGGER_INTERVAL_MINUTES, default 15) and when "
        "new raw rows land: pull ESP suppressions, rebuild the trigger models and segment "
        "transitions with the models they read (their data tests as checks, no dbt unit tests), "
        "then hand newly due sends to activation.",
        tags={WAREHOUSE_TAG: "write"},
    )


def hourly_job(
    dbt: AssetsDefinition,
    pulls: Sequence[AssetKey],
    activations: Sequence[AssetKey],
    raw: Sequence[AssetKey],
) -> AssetJob:
    """Everything, incrementally: ESP engagement in, every model, every sync and send out;
    the raw tables' freshness checks too."""
    return define_asset_job(
        HOURLY_JOB,
        selection=AssetSelection.assets(*pulls, dbt, *activations)
        | AssetSelection.checks_for_assets(*raw),
        description="Hourly: pull ESP engagement into raw, incremental dbt build of every "
        "model (dbt tests run as asset checks), then every audience sync and the triggered "
        "sends.",
        tags={WAREHOUSE_TAG: "write"},
    )


def daily_job(dbt: AssetsDefinition, syncs: Sequence[AssetKey]) -> AssetJob:
    """Full refresh of contacts (RFM) and segments, and the audience syncs they feed."""
    rebuilt = AssetSelection.groups("contacts", "segments", "syncs").upstream()
    return define_asset_job(
        DAILY_JOB,
        selection=(rebuilt & AssetSelection.assets(dbt)) | AssetSelection.assets(*syncs),
        config={"ops": {DBT_OP: {"config": {"full_refresh": True}}}},
        description="Daily: dbt build --full-refresh of contact profiles, RFM and segments "
        "(and the staging / intermediate models under them), then every audience sync.",
        tags={WAREHOUSE_TAG: "write"},
    )


def sync_job(name: str, key: AssetKey) -> AssetJob:
    """One declared sync on its own (the exposure's `schedule:` runs it)."""
    return define_asset_job(
        f"sync_{name}_job",
        selection=AssetSelection.assets(key),
        description=f"Sync {name} from its (already built) model.",
        tags={WAREHOUSE_TAG: "write"},
    )
