"""What the models produced: rows per mart, and raw rows kept, de-duplicated or quarantined."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rich.table import Table

from activation.warehouse import WarehouseConnection, open_warehouse
from nudge.dbt_manifest import load_manifest


@dataclass(frozen=True)
class WarehouseSummary:
    mart_rows: dict[str, int]
    reconciliation: list[tuple[str, int, int, int, int]]
    quarantined_by_reason: list[tuple[str, str, int]]
    # (trigger_key, status, sends) from triggers.triggered_sends; empty when it is not built
    sends_by_trigger_status: list[tuple[str, str, int]] = field(default_factory=list)


def mart_relations(warehouse: Path) -> dict[str, str]:
    """Model name → relation, for every model under models/marts, from dbt's manifest."""
    manifest = load_manifest(warehouse)
    return {
        node["name"]: node["relation_name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]
    }


def summarize_warehouse(warehouse: Path) -> WarehouseSummary:
    relations = mart_relations(warehouse)
    with open_warehouse(warehouse, read_only=True) as connection:
        mart_rows = {
            name: _count(connection, relation) for name, relation in sorted(relations.items())
        }
        reconciliation = connection.fetchall(
            "select source_table, rows_read, rows_kept, duplicates, quarantined"
            " from staging.stg_raw_row_reconciliation order by source_table"
        )
        quarantined = connection.fetchall(
            "select source_table, reason, count(*) from staging.stg_quarantined_rows"
            " group by source_table, reason order by source_table, count(*) desc, reason"
        )
        sends = (
            connection.fetchall(
                f"select trigger_key, status, count(*) from {relations['triggered_sends']}"
                " group by trigger_key, status order by trigger_key, status"
            )
            if "triggered_sends" in relations
            else []
        )
    return WarehouseSummary(mart_rows, reconciliation, quarantined, sends)


def _count(connection: WarehouseConnection, relation: str) -> int:
    return int(connection.fetchall(f"select count(*) from {relation}")[0][0])


def marts_table(summary: WarehouseSummary) -> Table:
    table = Table(title="Marts built by dbt")
    table.add_column("model")
    table.add_column("rows", justify="right")
    for name, rows in summary.mart_rows.items():
        table.add_row(name, f"{rows:,}")
    return table


def raw_rows_table(summary: WarehouseSummary) -> Table:
    table = Table(title="Raw rows: every row read is kept, dropped as a duplicate, or quarantined")
    for column in ("raw table", "read", "kept", "duplicates", "quarantined"):
        table.add_column(column, justify="left" if column == "raw table" else "right")
    for source_table, read, kept, duplicates, quarantined in summary.reconciliation:
        table.add_row(source_table, *(f"{n:,}" for n in (read, kept, duplicates, quarantined)))
    return table


def quarantine_table(summary: WarehouseSummary) -> Table:
    table = Table(title="Quarantined rows by reason (staging.stg_quarantined_rows)")
    table.add_column("raw table")
    table.add_column("reason")
    table.add_column("rows", justify="right")
    for source_table, reason, rows in summary.quarantined_by_reason:
        table.add_row(source_table, reason, f"{rows:,}")
    return table


SEND_STATUSES = (
    "due",
    "scheduled",
    "sent",
    "capped",
    "held_out",
    "suppressed",
    "expired",
    "cancelled",
)


def triggered_sends_table(summary: WarehouseSummary) -> Table:
    """Sends per trigger (rows) and status (columns), from triggers.triggered_sends."""
    table = Table(title="Triggered sends by trigger and status (triggers.triggered_sends)")
    table.add_column("trigger")
    for status in SEND_STATUSES:
        table.add_column(status, justify="right")
    counts: dict[str, dict[str, int]] = {}
    for trigger_key, status, sends in summary.sends_by_trigger_status:
        counts.setdefault(trigger_key, {})[status] = sends
    for trigger_key, by_status in counts.items():
        table.add_row(trigger_key, *(f"{by_status.get(s, 0):,}" for s in SEND_STATUSES))
    return table
