"""The raw tables of docs/contracts/raw_events.md as DuckDB DDL, shared by everything that
writes them (the generator, test fixtures)."""

from __future__ import annotations

from collections.abc import Sequence

RAW_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "events": [
        ("message_id", "varchar"),
        ("event", "varchar"),
        ("user_id", "varchar"),
        ("anonymous_id", "varchar"),
        ("timestamp", "timestamp"),
        ("received_at", "timestamp"),
        ("properties", "varchar"),
        ("context", "varchar"),
    ],
    "identifies": [
        ("message_id", "varchar"),
        ("user_id", "varchar"),
        ("anonymous_id", "varchar"),
        ("timestamp", "timestamp"),
        ("received_at", "timestamp"),
        ("traits", "varchar"),
    ],
    "product_catalog": [
        ("product_id", "varchar"),
        ("name", "varchar"),
        ("category", "varchar"),
        ("price", "decimal(12, 2)"),
        ("currency", "varchar"),
        ("stock_quantity", "integer"),
        ("image_url", "varchar"),
        ("url", "varchar"),
        ("replenishment_days", "integer"),
        ("updated_at", "timestamp"),
    ],
}


def create_table_sql(
    table: str, schema: str = "raw", extra_columns: Sequence[tuple[str, str]] = ()
) -> str:
    """`create table <schema>.<table> (...)` with the contract's columns, then any extras."""
    columns = [*RAW_COLUMNS[table], *extra_columns]
    listed = ", ".join(f'"{name}" {data_type}' for name, data_type in columns)
    return f"create table {schema}.{table} ({listed})"
