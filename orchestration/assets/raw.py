"""The raw contract tables (dbt sources) as external assets in the `raw` group, so the graph
starts where data lands rather than at an ungrouped placeholder."""

from __future__ import annotations

from dagster import AssetsDefinition, AssetSpec

from orchestration.translator import RAW_GROUP


def raw_table_specs(dbt_assets: AssetsDefinition) -> list[AssetSpec]:
    """One spec per upstream key of the dbt assets that no dbt node produces: the sources."""
    upstream = set(dbt_assets.dependency_keys) - set(dbt_assets.keys)
    return [
        AssetSpec(
            key,
            group_name=RAW_GROUP,
            description=f"Raw table {key.to_user_string()}: docs/contracts/raw_events.md.",
            kinds={"duckdb"},
        )
        for key in sorted(upstream, key=lambda k: k.to_user_string())
    ]
