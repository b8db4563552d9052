"""Model and column descriptions reach DuckDB as comments (persist_docs), and a run rewrites
only the comments that differ (macros/adapters/persist_docs.sql): a table rebuilt gets them
all again, an incremental table left in place gets none, or only the one that was changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from nudge.dbt_runner import dbt_artifacts_dir, run_dbt
from tests.fixtures.raw_rows import AS_OF, write_raw_rows

# a table (int_preference_events_parsed), incremental tables and a view (stg_events) upstream
BUILD = [
    "build",
    "--select",
    "+int_preference_events_parsed",
    "--exclude-resource-type",
    "test",
    "unit_test",
]
TAMPERED = "int_events_attributed"


def built_models(warehouse: Path) -> dict[str, dict[str, Any]]:
    manifest = json.loads((dbt_artifacts_dir(warehouse) / "target" / "manifest.json").read_text())
    run_results = json.loads(
        (dbt_artifacts_dir(warehouse) / "target" / "run_results.json").read_text()
    )
    ran = {result["unique_id"] for result in run_results["results"]}
    return {
        node["name"]: node
        for unique_id, node in manifest["nodes"].items()
        if unique_id in ran and node["resource_type"] == "model"
    }


def wrong_comments(warehouse: Path, models: dict[str, dict[str, Any]]) -> list[str]:
    """Each relation or column comment that is not its description."""
    wrong = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for name, node in models.items():
            held = con.execute(
                "select comment from duckdb_tables() where schema_name = ? and table_name = ?"
                " union all"
                " select comment from duckdb_views() where schema_name = ? and view_name = ?",
                [node["schema"], name, node["schema"], name],
            ).fetchall()
            assert len(held) == 1, f"{node['schema']}.{name} not built"
            if held[0][0] != node["description"]:
                wrong.append(f"{name}: {held[0][0]!r}")
            columns = dict(
                con.execute(
                    "select lower(column_name), comment from duckdb_columns()"
                    " where schema_name = ? and table_name = ?",
                    [node["schema"], name],
                ).fetchall()
            )
            for column, documented in node["columns"].items():
                if (
                    column.lower() in columns
                    and columns[column.lower()] != documented["description"]
                ):
                    wrong.append(f"{name}.{column}: {columns[column.lower()]!r}")
    return wrong


def comment_statements(warehouse: Path) -> dict[str, int]:
    """Run the build again; the `comment on` statements it sent, counted per model."""
    sent: dict[str, int] = {}

    def record(event: Any) -> None:
        if event.info.name == "SQLQuery" and "comment on " in event.info.msg:
            model = event.data.node_info.node_name
            sent[model] = sent.get(model, 0) + 1

    run_dbt(BUILD, warehouse, dbt_vars={"as_of": AS_OF.isoformat(sep=" ")}, on_event=record)
    return sent


def test_descriptions_become_comments_and_only_changed_ones_are_rewritten(
    tmp_path: Path,
) -> None:
    warehouse = tmp_path / "nudge.duckdb"
    write_raw_rows(warehouse)
    run_dbt(BUILD, warehouse, dbt_vars={"as_of": AS_OF.isoformat(sep=" ")}, quiet=True)
    models = built_models(warehouse)
    kinds = {node["config"]["materialized"] for node in models.values()}
    assert {"table", "incremental", "view"} <= kinds
    assert models[TAMPERED]["config"]["materialized"] == "incremental"
    assert wrong_comments(warehouse, models) == []

    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"comment on column intermediate.{TAMPERED}.message_id is 'stale'")
    assert wrong_comments(warehouse, models) == [f"{TAMPERED}.message_id: 'stale'"]

    sent = comment_statements(warehouse)
    assert wrong_comments(warehouse, models) == []
    incremental = {
        name for name, node in models.items() if node["config"]["materialized"] == "incremental"
    }
    rebuilt = {
        name for name, node in models.items() if node["config"]["materialized"] != "incremental"
    }
    # the tampered table gets its one comment back in one statement; the other incremental
    # tables, left in place with their comments, get none; tables and views are new, so all
    assert {name: sent[name] for name in incremental if name in sent} == {TAMPERED: 1}
    assert rebuilt <= set(sent)
