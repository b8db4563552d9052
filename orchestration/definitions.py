"""The Dagster code location: `dagster dev -m orchestration.definitions`.

ESP feedback pull → raw tables → dbt models (tests as checks) → one asset per
declared sync and the triggered sends → the ESP."""

from __future__ import annotations

from dagster import AssetKey, Definitions, multiprocess_executor
from dagster_dbt import DbtCliResource, get_asset_key_for_model

from activation.runs import declared_syncs, sends_destination
from orchestration.assets.dbt import nudge_dbt_models
from orchestration.assets.esp import (
    feedback_pull_asset,
    feedback_pull_key,
    triggered_sends_asset,
    triggered_sends_key,
)
from orchestration.assets.predictions import predictions_asset
from orchestration.assets.raw import raw_freshness_checks, source_table_specs
from orchestration.assets.report import REPORT_KEY, report_asset
from orchestration.assets.segment_catalog import SEGMENT_CATALOG_KEY, segment_catalog_asset
from orchestration.assets.syncs import sync_asset_key, sync_assets
from orchestration.jobs import daily_job, hourly_job, sync_job, trigger_job
from orchestration.project import dbt_executable, ensure_manifest, nudge_dbt_project
from orchestration.raw_sources import raw_sources
from orchestration.resources import EspResource, WarehouseResource
from orchestration.schedules import nudge_schedules
from orchestration.sensors import raw_data_sensor
from orchestration.settings import orchestration_settings

settings = orchestration_settings()
manifest = ensure_manifest()
sources = raw_sources(manifest)
declarations = declared_syncs(manifest)

syncs = sync_assets(declarations, nudge_dbt_models)
sync_keys = [sync_asset_key(declaration) for declaration in declarations]
segment_transitions = get_asset_key_for_model([nudge_dbt_models], "segment_transitions")
triggered_sends_model = get_asset_key_for_model([nudge_dbt_models], "triggered_sends")
report = report_asset(
    [
        get_asset_key_for_model([nudge_dbt_models], model)
        for model in (
            "contact_rfm",
            "segment_transitions",
            "flow_benchmark_comparison",
            "experiment_results",
            "flow_performance",
        )
    ]
)

segment_catalog = segment_catalog_asset(
    [get_asset_key_for_model([nudge_dbt_models], "segment_memberships"), segment_transitions]
)

predictions = predictions_asset(
    get_asset_key_for_model([nudge_dbt_models], "int_orders_netted"), group_name="contacts"
)

sends_to = sends_destination()
pull = feedback_pull_asset(sends_to)
sends = triggered_sends_asset(sends_to, triggered_sends_model)
raw_events = AssetKey(["raw", "events"])

raw_keys = [source.key for source in sources]
send_keys = [triggered_sends_key(sends_to)]
pull_keys = [feedback_pull_key(sends_to)]
trigger = trigger_job(nudge_dbt_models, segment_transitions, pull_keys, send_keys, raw_keys)
hourly = hourly_job(
    nudge_dbt_models,
    pull_keys,
    [*sync_keys, *send_keys, REPORT_KEY, SEGMENT_CATALOG_KEY],
    raw_keys,
)
daily = daily_job(nudge_dbt_models, sync_keys)
per_sync = [
    (declaration.name, declaration.config.schedule, sync_job(declaration.name, key))
    for declaration, key in zip(declarations, sync_keys, strict=True)
    if declaration.config.schedule
]

defs = Definitions(
    assets=[
        pull,
        # the predictions table is a dbt source too, but the predictions asset makes it
        *(
            spec
            for spec in source_table_specs(
                nudge_dbt_models, sources, fed_by={raw_events: pull_keys}
            )
            if spec.key not in predictions.keys
        ),
        nudge_dbt_models,
        *syncs,
        sends,
        report,
        segment_catalog,
        predictions,
    ],
    asset_checks=[raw_freshness_checks(sources)],
    jobs=[trigger, hourly, daily, *(job for _, _, job in per_sync)],
    schedules=nudge_schedules(settings, trigger, hourly, daily, per_sync),
    sensors=[raw_data_sensor(trigger, sources)],
    # one step at a time: dbt, the syncs, the sends and the checks each open the one DuckDB
    # file, which takes one writer (and no reader while it writes)
    executor=multiprocess_executor.configured({"max_concurrent": 1}),
    resources={
        "dbt": DbtCliResource(project_dir=nudge_dbt_project, dbt_executable=dbt_executable()),
        "warehouse": WarehouseResource(),
        "esp": EspResource(),
    },
)
