"""The same dbt project, run by SQLMesh (`sqlmesh plan --auto-apply`, the CLI the README
installs) on a copy of a small generated store, yields the same contact_rfm and
segment_memberships as dbt on the same raw rows as of the same instant."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from nudge.dbt_runner import run_dbt
from nudge.generator import generate
from nudge.paths import PROJECT_ROOT

pytestmark = pytest.mark.slow

AS_OF = "2026-11-01 00:00:00"
PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "sqlmesh.yaml", "models", "macros", "seeds")
COMPARED = ("contacts.contact_rfm", "segments.segment_memberships")


def copy_project(destination: Path) -> Path:
    """The dbt project and its SQLMesh config, so SQLMesh's cache stays out of the repo."""
    destination.mkdir(parents=True)
    for name in PROJECT_FILES:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name)
        else:
            shutil.copy(source, destination / name)
    shutil.copytree(PROJECT_ROOT / "tests" / "dbt", destination / "tests" / "dbt")
    with (destination / "sqlmesh.yaml").open("a", encoding="utf-8") as config:
        config.write(f'\nvariables:\n  as_of: "{AS_OF}"\n')
    return destination


def rows(warehouse: Path, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        result = con.execute(f"select * from {table} order by all")
        columns = [column[0] for column in result.description or []]
        return columns, result.fetchall()


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("sqlmesh")
    by_sqlmesh = root / "sqlmesh" / "nudge.duckdb"
    by_dbt = root / "dbt" / "nudge.duckdb"
    generate(by_sqlmesh, contacts=60, seed=7, end=datetime(2026, 11, 1), days=60)
    by_dbt.parent.mkdir()
    shutil.copy(by_sqlmesh, by_dbt)

    selection = ["--select", "+contact_rfm", "+segment_memberships"]
    skip_tests = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
    run_dbt(["build", *selection, *skip_tests], by_dbt, {"as_of": AS_OF})

    project = copy_project(root / "project")
    sqlmesh = Path(sys.executable).parent / "sqlmesh"
    command = [str(sqlmesh), "-p", str(project), "plan", "--auto-apply", "--no-prompts"]
    for model in COMPARED:
        command += ["--select-model", f"+{model}"]
    env = {**os.environ, "NUDGE_WAREHOUSE": str(by_sqlmesh)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return by_sqlmesh, by_dbt


@pytest.mark.parametrize("table", COMPARED)
def test_sqlmesh_builds_what_dbt_builds(warehouses: tuple[Path, Path], table: str) -> None:
    by_sqlmesh, by_dbt = warehouses
    sqlmesh_columns, sqlmesh_rows = rows(by_sqlmesh, table)
    dbt_columns, dbt_rows = rows(by_dbt, table)
    assert sqlmesh_columns == dbt_columns
    assert len(dbt_rows) > 10
    assert sqlmesh_rows == dbt_rows


def test_sqlmesh_serves_the_models_through_its_virtual_layer(
    warehouses: tuple[Path, Path],
) -> None:
    """contacts.contact_rfm is a view on a versioned table in sqlmesh__contacts: what makes
    `sqlmesh plan dev` environments cheap."""
    by_sqlmesh, _ = warehouses
    with duckdb.connect(str(by_sqlmesh), read_only=True) as con:
        kinds = dict(
            con.execute(
                "select table_schema, table_type from information_schema.tables"
                " where table_name = 'contact_rfm' or table_name like 'contacts__contact_rfm__%'"
            ).fetchall()
        )
    assert kinds == {"contacts": "VIEW", "sqlmesh__contacts": "BASE TABLE"}
