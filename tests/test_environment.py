"""The pinned tools import and work side by side in the one environment the README installs."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import duckdb


def test_pinned_versions() -> None:
    assert version("dbt-core").startswith("1.11.")
    assert version("dbt-duckdb").startswith("1.11.")
    assert int(version("dagster").split(".")[1]) >= 13
    assert version("dagster-dbt").startswith("0.29.")
    assert version("sqlmesh")


def test_sqlmesh_runs_beside_dagster_dbt(tmp_path: Path) -> None:
    import dagster_dbt  # noqa: F401  (imported first: the sqlglot conflict showed up this way)
    from sqlmesh import Context
    from sqlmesh.core.config import (
        Config,
        DuckDBConnectionConfig,
        GatewayConfig,
        ModelDefaultsConfig,
    )

    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "answer.sql").write_text(
        "MODEL (name demo.answer, kind FULL); SELECT 42 AS answer"
    )
    database = (
        tmp_path / "answers.duckdb"
    )  # a catalog named "sqlmesh" would clash with its state schema
    config = Config(
        gateways={
            "local": GatewayConfig(connection=DuckDBConnectionConfig(database=str(database)))
        },
        model_defaults=ModelDefaultsConfig(dialect="duckdb"),
    )
    context = Context(paths=str(tmp_path), config=config)
    context.plan(auto_apply=True, no_prompts=True)
    context.close()
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("select answer from demo.answer").fetchone() == (42,)
