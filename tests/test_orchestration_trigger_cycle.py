"""The 15-minute trigger job's dbt invocation: data tests run (as asset checks), the key
uniqueness of incremental models on the keys written lately, dbt unit tests do not; every
other job still runs them and checks every key. No dbt build: the job's run config is turned
into the dbt arguments and environment the asset passes to dagster-dbt."""

from __future__ import annotations

import os
from typing import Any, cast

import pytest
from dagster_dbt.asset_utils import extract_runtime_selection_from_args

from nudge.dbt_runner import WRITTEN_KEYS_ONLY_ENV
from orchestration.assets.dbt import DbtBuildConfig, build_args, build_environment, start_build
from orchestration.definitions import defs
from orchestration.jobs import DAILY_JOB, DBT_OP, HOURLY_JOB, TRIGGER_JOB

pytestmark = pytest.mark.slow

EXCLUDE_UNIT_TESTS = ["--exclude-resource-type", "unit_test"]


def config_of(job_name: str) -> DbtBuildConfig:
    """The job's dbt asset config: the job's own (default) run config."""
    run_config: dict[str, Any] = defs.resolve_job_def(job_name).run_config or {}
    op_config = run_config.get("ops", {}).get(DBT_OP, {}).get("config", {})
    assert set(op_config) <= set(DbtBuildConfig.model_fields), op_config
    return DbtBuildConfig(**op_config)


def dbt_args_of(job_name: str) -> list[str]:
    """The dbt command the job's dbt asset runs."""
    return build_args(config_of(job_name))


def follows(args: list[str], pair: list[str]) -> bool:
    return any(args[i : i + len(pair)] == pair for i in range(len(args)))


def test_the_trigger_job_builds_without_unit_tests() -> None:
    args = dbt_args_of(TRIGGER_JOB)
    assert args[0] == "build" and follows(args, EXCLUDE_UNIT_TESTS)
    # dagster-dbt moves --select/--exclude into its own selection; this flag it passes on
    cleaned, selects, excludes = extract_runtime_selection_from_args(args)
    assert follows(cleaned, EXCLUDE_UNIT_TESTS) and not selects and not excludes
    # through the environment: a --vars that changes between jobs would re-parse the project
    assert build_environment(config_of(TRIGGER_JOB)) == {WRITTEN_KEYS_ONLY_ENV: "1"}
    assert "--vars" not in args


@pytest.mark.parametrize("job_name", [HOURLY_JOB, DAILY_JOB])
def test_the_other_jobs_still_run_unit_tests(job_name: str) -> None:
    args = dbt_args_of(job_name)
    assert args[0] == "build"
    assert not any("resource-type" in arg or "unit_test" in arg for arg in args)
    assert build_environment(config_of(job_name)) == {WRITTEN_KEYS_ONLY_ENV: ""}


class RecordingDbt:
    """Stands in for DbtCliResource: records the arguments and the environment at the call."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], str | None]] = []

    def cli(self, args: list[str], context: object = None) -> str:
        self.calls.append((args, os.environ.get(WRITTEN_KEYS_ONLY_ENV)))
        return "invocation"


@pytest.mark.parametrize(("job_name", "expected"), [(TRIGGER_JOB, "1"), (HOURLY_JOB, "")])
def test_dbt_starts_with_the_jobs_environment_which_is_then_restored(
    job_name: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(WRITTEN_KEYS_ONLY_ENV, raising=False)
    dbt = RecordingDbt()
    assert start_build(cast(Any, dbt), config_of(job_name), context=None) == "invocation"
    assert dbt.calls == [(dbt_args_of(job_name), expected)]
    assert WRITTEN_KEYS_ONLY_ENV not in os.environ
