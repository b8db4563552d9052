"""The Dagster code location: `dagster dev -m orchestration.definitions`."""

from __future__ import annotations

from dagster import Definitions
from dagster_dbt import DbtCliResource

from orchestration.assets.dbt import nudge_dbt_models
from orchestration.assets.raw import raw_table_specs
from orchestration.project import dbt_executable, nudge_dbt_project

defs = Definitions(
    assets=[*raw_table_specs(nudge_dbt_models), nudge_dbt_models],
    resources={
        "dbt": DbtCliResource(project_dir=nudge_dbt_project, dbt_executable=dbt_executable()),
    },
)
