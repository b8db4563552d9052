"""Every dbt model, seed and test as Dagster assets and asset checks.

No `from __future__ import annotations` here: Dagster resolves the op config class from the
real annotation, not from a string.
"""

from collections.abc import Iterator
from typing import Any

from dagster import AssetExecutionContext, Config
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.project import ensure_manifest
from orchestration.translator import NudgeDbtTranslator


class DbtBuildConfig(Config):
    """Replay a run as of a past instant ('YYYY-MM-DD HH:MM:SS', UTC); empty = now."""

    as_of: str = ""


@dbt_assets(manifest=ensure_manifest(), dagster_dbt_translator=NudgeDbtTranslator())
def nudge_dbt_models(
    context: AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig
) -> Iterator[Any]:
    args = ["build"]
    if config.as_of:
        args += ["--vars", f'{{"as_of": "{config.as_of}"}}']
    yield from dbt.cli(args, context=context).stream()
