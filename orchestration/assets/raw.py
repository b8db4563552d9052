"""The raw contract tables (dbt sources) as external assets in the `raw` group, so the graph
starts where data lands, with a freshness check per table from dbt's `freshness:` rules."""

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    ResourceParam,
    multi_asset_check,
)

from activation.state import utcnow
from orchestration.raw_sources import RawSource, newest_loaded_at
from orchestration.resources import WarehouseResource
from orchestration.translator import source_group

FRESHNESS_CHECK = "freshness"


def source_table_specs(
    dbt_assets: AssetsDefinition,
    sources: Sequence[RawSource],
    fed_by: dict[AssetKey, list[AssetKey]] | None = None,
) -> list[AssetSpec]:
    """One spec per upstream key of the dbt assets that no dbt node produces: the dbt
    sources, grouped as the translator groups them. `fed_by` names assets that write into
    a table (the ESP feedback pull into raw.events)."""
    upstream = set(dbt_assets.dependency_keys) - set(dbt_assets.keys)
    described = {source.key: source for source in sources}
    specs = []
    for key in sorted(upstream, key=lambda k: k.to_user_string()):
        source = described.get(key)
        contract = "docs/contracts/raw_events.md"
        specs.append(
            AssetSpec(
                key,
                group_name=source_group(key.path[0]),
                description=f"{source.description} ({contract})" if source else None,
                kinds={"duckdb"},
                deps=(fed_by or {}).get(key, []),
            )
        )
    return specs


def raw_freshness_checks(sources: Sequence[RawSource]) -> AssetsDefinition:
    """One check per raw table: its newest `loaded_at_field` against dbt's warn_after (a
    warning) and error_after (an error)."""
    by_key = {source.key: source for source in sources}
    specs = [
        AssetCheckSpec(
            FRESHNESS_CHECK,
            asset=source.key,
            description=f"Newest {source.loaded_at_field} is at most "
            f"{source.warn_after} old (warn) / {source.error_after} (error), as dbt declares.",
        )
        for source in sources
    ]

    @multi_asset_check(specs=specs, name="raw_freshness", can_subset=True)
    def _raw_freshness(
        context: AssetCheckExecutionContext, warehouse: ResourceParam[WarehouseResource]
    ) -> Iterator[AssetCheckResult]:
        now = utcnow()
        with warehouse.read_only() as connection:
            for check_key in sorted(context.selected_asset_check_keys, key=str):
                source = by_key[check_key.asset_key]
                newest, rows = newest_loaded_at(connection, source, now)
                yield freshness_result(source, newest, rows, now)

    return _raw_freshness


def freshness_result(
    source: RawSource, newest: datetime | None, rows: int, now: datetime
) -> AssetCheckResult:
    metadata: dict[str, Any] = {"rows": rows, "checked_at": now.isoformat()}
    if newest is None:
        return AssetCheckResult(
            asset_key=source.key,
            check_name=FRESHNESS_CHECK,
            passed=False,
            severity=AssetCheckSeverity.ERROR,
            metadata={**metadata, "problem": f"{source.schema}.{source.table} is empty or missing"},
        )
    lag = now - newest
    metadata.update(
        newest_loaded_at=newest.isoformat(), lag_hours=round(lag / timedelta(hours=1), 2)
    )
    if source.error_after is not None and lag > source.error_after:
        severity, passed = AssetCheckSeverity.ERROR, False
    elif source.warn_after is not None and lag > source.warn_after:
        severity, passed = AssetCheckSeverity.WARN, False
    else:
        severity, passed = AssetCheckSeverity.WARN, True
    return AssetCheckResult(
        asset_key=source.key,
        check_name=FRESHNESS_CHECK,
        passed=passed,
        severity=severity,
        metadata=metadata,
    )
