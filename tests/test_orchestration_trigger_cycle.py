"""The 15-minute trigger job's dbt invocation: data tests run (as asset checks), dbt unit
tests do not; every other job still runs them. No dbt build: the job's run config is turned
into the dbt arguments the asset passes to dagster-dbt."""

from __future__ import annotations

from typing import Any

import pytest
from dagster_dbt.asset_utils import extract_runtime_selection_from_args

from orchestration.assets.dbt import DbtBuildConfig, build_args
from orchestration.definitions import defs
from orchestration.jobs import DAILY_JOB, DBT_OP, HOURLY_JOB, TRIGGER_JOB

pytestmark = pytest.mark.slow

EXCLUDE_UNIT_TESTS = ["--exclude-resource-type", "unit_test"]


def dbt_args_of(job_name: str) -> list[str]:
    """The dbt command the job's dbt asset runs with the job's own (default) run config."""
    run_config: dict[str, Any] = defs.resolve_job_def(job_name).run_config or {}
    op_config = run_config.get("ops", {}).get(DBT_OP, {}).get("config", {})
    assert set(op_config) <= set(DbtBuildConfig.model_fields), op_config
    return build_args(DbtBuildConfig(**op_config))


def follows(args: list[str], pair: list[str]) -> bool:
    return any(args[i : i + len(pair)] == pair for i in range(len(args)))


def test_the_trigger_job_builds_without_unit_tests() -> None:
    args = dbt_args_of(TRIGGER_JOB)
    assert args[0] == "build" and follows(args, EXCLUDE_UNIT_TESTS)
    # dagster-dbt moves --select/--exclude into its own selection; this flag it passes on
    cleaned, selects, excludes = extract_runtime_selection_from_args(args)
    assert follows(cleaned, EXCLUDE_UNIT_TESTS) and not selects and not excludes


@pytest.mark.parametrize("job_name", [HOURLY_JOB, DAILY_JOB])
def test_the_other_jobs_still_run_unit_tests(job_name: str) -> None:
    args = dbt_args_of(job_name)
    assert args[0] == "build"
    assert not any("resource-type" in arg or "unit_test" in arg for arg in args)
