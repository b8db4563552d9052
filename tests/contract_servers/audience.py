"""A small declared audience for the destination contract tests: a DuckDB table shaped like
a ``sync_*`` model, a manifest with one exposure declaring its sync, and helpers to change
the audience and read the sync state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from activation.declarations import SyncDeclaration, load_declarations
from activation.state import STATE_TABLE
from tests.stamps import stamp_live

TABLE = "syncs.sync_audience"
MODEL_ID = "model.nudge.sync_audience"
LIST_NAME = "Nudge — Subscribers"
COLUMNS = {
    "contact_id": "varchar",
    "email": "varchar",
    "first_name": "varchar",
    "last_name": "varchar",
    "rfm_segment": "varchar",
    "orders_count": "integer",
}
SEGMENTS = ("champions", "loyal", "at_risk", None)


def contact(i: int) -> tuple[Any, ...]:
    return (
        f"c-{i:03d}",
        f"Person.{i:03d}@Example.com",
        f"First{i}",
        None if i % 5 == 0 else f"Last{i}",
        SEGMENTS[i % len(SEGMENTS)],
        i % 7,
    )


def make_warehouse(path: Path, count: int) -> Path:
    columns = ", ".join(f"{name} {kind}" for name, kind in COLUMNS.items())
    with duckdb.connect(str(path)) as con:
        con.execute("create schema syncs")
        con.execute(f"create table {TABLE} ({columns})")
        placeholders = ", ".join("?" for _ in COLUMNS)
        con.executemany(
            f"insert into {TABLE} values ({placeholders})", [contact(i) for i in range(count)]
        )
    stamp_live(path, TABLE)
    return path


def sql(path: Path, statement: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path)) as con:
        return con.execute(statement, params or []).fetchall()


def update(path: Path, contact_id: str, **values: Any) -> None:
    assignments = ", ".join(f"{column} = ?" for column in values)
    sql(
        path,
        f"update {TABLE} set {assignments} where contact_id = ?",
        [*values.values(), contact_id],
    )


def delete(path: Path, *contact_ids: str) -> None:
    sql(path, f"delete from {TABLE} where list_contains(?, contact_id)", [list(contact_ids)])


def audience(path: Path) -> dict[str, tuple[Any, ...]]:
    """contact_id -> the row."""
    return {row[0]: row for row in sql(path, f"select * from {TABLE}")}


def state_rows(path: Path) -> dict[str, tuple[Any, ...]]:
    """record_key -> (status, last_error, destination_ref)."""
    rows = sql(path, f"select record_key, status, last_error, destination_ref from {STATE_TABLE}")
    return {row[0]: row[1:] for row in rows}


def declaration(sync: dict[str, Any], name: str = "audience_sync") -> SyncDeclaration:
    """The sync declared by one exposure, as ``load_declarations`` reads a manifest."""
    (loaded,) = load_declarations(manifest(sync, name))
    return loaded


def manifest(sync: dict[str, Any], name: str = "audience_sync") -> dict[str, Any]:
    return {
        "exposures": {
            f"exposure.nudge.{name}": {
                "name": name,
                "resource_type": "exposure",
                "config": {"enabled": True, "meta": {"nudge_sync": sync}},
                "depends_on": {"nodes": [MODEL_ID]},
            }
        },
        "nodes": {MODEL_ID: {"relation_name": '"nudge"."syncs"."sync_audience"'}},
    }
