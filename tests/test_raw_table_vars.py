"""Activation finds the raw tables where the dbt sources do: the project's vars raw_schema
and raw_<table>_table (README "Point Nudge at your own warehouse"), so the send gate's fresh
consent check and erasure read a warehouse whose events land as segment_prod.tracks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from activation import raw_tables
from activation.errors import ConfigurationError
from activation.fresh_suppressions import FreshSuppressions
from activation.personal_data import find_person, raw_selections
from activation.warehouse import DuckDBWarehouse
from nudge.raw_contract import create_table_sql

ROOT = Path(__file__).resolve().parent.parent
BUILD = datetime(2026, 11, 1, 6)


def use_project_vars(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **project_vars: str) -> None:
    project = yaml.safe_load((ROOT / "dbt_project.yml").read_text(encoding="utf-8"))
    project["vars"].update(project_vars)
    project_file = tmp_path / "dbt_project.yml"
    project_file.write_text(yaml.safe_dump(project), encoding="utf-8")
    monkeypatch.setattr(raw_tables, "PROJECT_FILE", project_file)


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    raw_tables._raw_tables.cache_clear()
    yield
    raw_tables._raw_tables.cache_clear()


def test_the_project_defaults_are_the_sources_defaults() -> None:
    sources = (ROOT / "models" / "staging" / "_staging__sources.yml").read_text(encoding="utf-8")
    assert f"var('{raw_tables.SCHEMA_VAR}', 'raw')" in sources
    for name, var in raw_tables.TABLE_VARS.items():
        assert f"var('{var}', '{name}')" in sources
        assert raw_tables.raw_table(name) == ("raw", name)  # type: ignore[arg-type]


def test_a_name_that_is_not_a_plain_identifier_names_the_var(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_project_vars(monkeypatch, tmp_path, raw_events_table="tracks; drop table x")
    with pytest.raises(ConfigurationError, match=r"vars\.raw_events_table .* plain identifier"):
        raw_tables.raw_relation("events")


def renamed_warehouse(path: Path) -> DuckDBWarehouse:
    """segment_prod.tracks and segment_prod.users: one contact who unsubscribed after the
    build, whose address only the identify carries."""
    warehouse = DuckDBWarehouse(path)
    warehouse.execute("create schema segment_prod")
    warehouse.execute(
        create_table_sql("events", schema="segment_prod").replace(".events", ".tracks")
    )
    warehouse.execute(
        create_table_sql("identifies", schema="segment_prod").replace(".identifies", ".users")
    )
    warehouse.execute(
        "insert into segment_prod.tracks (message_id, event, user_id, anonymous_id, properties,"
        ' "timestamp", received_at) values (?, ?, ?, ?, ?, ?, ?)',
        [
            "m-unsub",
            "Unsubscribed",
            "c-1",
            "a-1",
            '{"channel": "email"}',
            datetime(2026, 11, 1, 7),
            datetime(2026, 11, 1, 7, 1),
        ],
    )
    warehouse.execute(
        "insert into segment_prod.users (message_id, user_id, anonymous_id, traits, "
        ' "timestamp", received_at) values (?, ?, ?, ?, ?, ?)',
        [
            "m-identify",
            "c-1",
            "a-1",
            '{"email": "ada@example.com"}',
            datetime(2026, 10, 1),
            datetime(2026, 10, 1),
        ],
    )
    return warehouse


def test_activation_reads_the_tables_the_vars_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_project_vars(
        monkeypatch,
        tmp_path,
        raw_schema="segment_prod",
        raw_events_table="tracks",
        raw_identifies_table="users",
    )
    with renamed_warehouse(tmp_path / "w.duckdb") as warehouse:
        fresh = FreshSuppressions.load(warehouse, since=BUILD)
        assert fresh.reason("c-1", None) == "unsubscribed_after_build"

        person = find_person(warehouse, "Ada@example.com")
        assert person.contact_ids == ("c-1",)
        relations = {selection.relation for selection in raw_selections(warehouse, person)}
        assert {"segment_prod.tracks", "segment_prod.users"} <= relations
