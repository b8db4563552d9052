"""Every dbt model, seed and test as Dagster assets and asset checks.

No `from __future__ import annotations` here: Dagster resolves the op config class from the
real annotation, not from a string.
"""

import json
from collections.abc import Iterator
from typing import Any

from dagster import AssetExecutionContext, Config
from dagster_dbt import DbtCliInvocation, DbtCliResource, dbt_assets

from nudge.dbt_runner import WRITTEN_KEYS_ONLY_ENV, environment, release_duckdb_file
from orchestration.assets.replays import require_live_as_of
from orchestration.project import ensure_manifest
from orchestration.translator import NudgeDbtTranslator

# dbt unit tests check the SQL against fixed given/expect rows, not the warehouse's data:
# they cannot change between two runs of the same code, so the frequent trigger job skips them
# (`nudge build`, the hourly and daily jobs and CI still run them)
SKIP_UNIT_TESTS = ["--exclude-resource-type", "unit_test"]


class DbtBuildConfig(Config):
    """as_of: build as of this instant ('YYYY-MM-DD HH:MM:SS', UTC); empty = now. Never a
    replay: one older than NUDGE_REPLAY_TOLERANCE_MINUTES fails the run (this asset builds
    the live warehouse; `nudge build --as-of` replays into a copy). full_refresh: rebuild
    incremental models from scratch (the daily refresh does). unit_tests: run dbt's unit
    tests too (the trigger job turns them off; data tests run either way).
    written_keys_only: the uniqueness tests on the incremental models' keys check only the
    keys written lately, each against the whole table (the trigger job turns it on; the
    hourly and daily jobs check every key)."""

    as_of: str = ""
    full_refresh: bool = False
    unit_tests: bool = True
    written_keys_only: bool = False


def build_args(config: DbtBuildConfig) -> list[str]:
    args = ["build"]
    if config.full_refresh:
        args.append("--full-refresh")
    if not config.unit_tests:
        args += SKIP_UNIT_TESTS
    if config.as_of:
        args += ["--vars", json.dumps({"as_of": config.as_of})]
    return args


def build_environment(config: DbtBuildConfig) -> dict[str, str]:
    """Environment variables for the dbt invocation: not vars, which would re-parse."""
    return {WRITTEN_KEYS_ONLY_ENV: "1" if config.written_keys_only else ""}


def start_build(dbt: DbtCliResource, config: DbtBuildConfig, context: Any) -> DbtCliInvocation:
    """Start `dbt build` for the config; dbt.cli starts dbt with a copy of the environment
    as it is at the call, so the variables are set for the call only."""
    with environment(build_environment(config)):
        return dbt.cli(build_args(config), context=context)


@dbt_assets(manifest=ensure_manifest(), dagster_dbt_translator=NudgeDbtTranslator())
def nudge_dbt_models(
    context: AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig
) -> Iterator[Any]:
    require_live_as_of(config.as_of)
    # row counts are read once dbt has released the DuckDB file (views are not counted).
    # dbt.cli gets the op's context, which it would take from an AssetExecutionContext itself
    # (its docs): dagster-dbt 0.29.27 reads `context.op.tags` from what it is given, deprecated
    # on an AssetExecutionContext (a DeprecationWarning every run), not on the op's context
    op_context = context.op_execution_context
    try:
        yield from start_build(dbt, config, op_context).stream().fetch_row_counts()
    finally:
        # counting opened dbt-duckdb's connection in this process; the assets downstream
        # (syncs, sends) open the file themselves, in-process when run by execute_in_process
        release_duckdb_file()
