"""Which warehouse activation opens: the dbt profile's output, rendered by dbt (env_var
defaults and filters), with NUDGE_DBT_TARGET choosing it; and the placeholder rewrite the
PostgreSQL engine relies on."""

from __future__ import annotations

from pathlib import Path

import pytest

from activation.errors import ConfigurationError
from activation.warehouse import DuckDBWarehouse, open_warehouse, warehouse_target
from activation.warehouse.placeholders import to_format


def test_target_follows_nudge_dbt_target_and_renders_env_vars() -> None:
    env = {
        "NUDGE_DBT_TARGET": "postgres",
        "NUDGE_PG_HOST": "db.internal",
        "NUDGE_PG_PORT": "6543",
        "NUDGE_PG_PASSWORD": "s3cret-value",
        "NUDGE_PG_DATABASE": "marketing",
    }
    target = warehouse_target(env=env)
    assert (target.name, target.engine) == ("postgres", "postgres")
    assert target.settings["port"] == 6543  # the profile's `| int`, applied by dbt
    assert target.settings["host"] == "db.internal"
    assert target.settings["dbname"] == "marketing"
    assert target.settings["user"] == "nudge"  # the profile's default
    assert "s3cret-value" not in repr(target)


def test_default_target_is_the_duckdb_file(tmp_path: Path) -> None:
    env = {"NUDGE_WAREHOUSE": str(tmp_path / "x.duckdb"), "NUDGE_DUCKDB_MEMORY_LIMIT": "1GB"}
    target = warehouse_target(env=env)
    assert (target.name, target.engine) == ("duckdb", "duckdb")
    with open_warehouse(target=target) as opened:
        assert isinstance(opened, DuckDBWarehouse)
        assert opened.location == str(tmp_path / "x.duckdb")
        # the profile's DuckDB settings apply to activation's connection too
        limit = opened.fetchall("select current_setting('memory_limit')")
        assert limit == [("953.6 MiB",)]  # 1GB (10^9 bytes), as DuckDB reports it
        # freed blocks' memory is kept for reuse up to the same bound, never beyond it
        kept = opened.fetchall("select current_setting('block_allocator_memory')")
        assert kept == [("953.6 MiB",)]
    # an explicit file replaces the profile's path
    with open_warehouse(tmp_path / "other.duckdb", target=target) as opened:
        assert opened.location == str(tmp_path / "other.duckdb")
    assert (tmp_path / "x.duckdb").exists() and (tmp_path / "other.duckdb").exists()


def test_an_engine_without_an_implementation_is_refused_by_name(tmp_path: Path) -> None:
    target = warehouse_target("spark", env={"NUDGE_SPARK_DIR": str(tmp_path)})
    assert target.engine == "spark"
    with pytest.raises(ConfigurationError, match=r"'spark'.*duckdb, postgres and snowflake"):
        open_warehouse(target=target)


@pytest.mark.parametrize(
    ("qmark", "expected"),
    [
        ("select ? , ?", "select %s , %s"),
        ("select 1 where a like '%?' and b = ?", "select 1 where a like '%%?' and b = %s"),
        ("select 5 % ?", "select 5 %% %s"),
        ("select 'it''s ?', ?", "select 'it''s ?', %s"),
        ('select "odd?col" from t where x = ?', 'select "odd?col" from t where x = %s'),
        ("select ? -- why? 100%\n, ?", "select %s -- why? 100%%\n, %s"),
        ("select /* ? */ ?", "select /* ? */ %s"),
    ],
)
def test_qmark_placeholders_become_format_ones(qmark: str, expected: str) -> None:
    assert to_format(qmark) == expected
