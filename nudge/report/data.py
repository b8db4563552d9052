"""What the report shows, read from the marts as they are through the warehouse interface
(docs/warehouse_interface.md). No number is recomputed here other than grouping
contact_rfm by cell and counting segment_transitions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from activation.warehouse import WarehouseConnection, open_warehouse

MAX_SEGMENT_LINES = 8

# (schema, mart, ReportData attribute, order): marts read whole, row by row
MARTS = (
    ("performance", "email_kpis", "kpis", "grain, period_start"),
    ("performance", "flow_benchmark_comparison", "flows", "trigger_key"),
    ("performance", "experiment_results", "lifts", "trigger_key, comparison, metric"),
    ("performance", "flow_performance", "flow_steps", "trigger_key, step, variant"),
    ("performance", "audience_performance", "audiences", "dimension, audience"),
    ("performance", "segment_lifetime_value", "lifetime_values", "segment_key"),
    ("performance", "lifecycle_stage_lifetime_value", "stage_values", "lifecycle_stage"),
)


@dataclass
class ReportData:
    as_of: datetime | None = None
    missing: list[str] = field(default_factory=list)  # marts not built yet
    kpis: list[dict[str, Any]] = field(default_factory=list)  # email_kpis
    rfm_cells: list[dict[str, Any]] = field(default_factory=list)
    segment_runs: int = 0  # runs that recorded segment transitions
    segment_sizes: dict[str, list[tuple[datetime, int]]] = field(default_factory=dict)
    rfm_moves: list[dict[str, Any]] = field(default_factory=list)
    flows: list[dict[str, Any]] = field(default_factory=list)  # flow_benchmark_comparison
    lifts: list[dict[str, Any]] = field(default_factory=list)  # experiment_results
    flow_steps: list[dict[str, Any]] = field(default_factory=list)  # flow_performance
    audiences: list[dict[str, Any]] = field(default_factory=list)  # audience_performance
    lifetime_values: list[dict[str, Any]] = field(default_factory=list)  # segment_lifetime_value
    stage_values: list[dict[str, Any]] = field(
        default_factory=list
    )  # lifecycle_stage_lifetime_value


def _mart(con: WarehouseConnection, schema: str, table: str, order: str) -> list[dict[str, Any]]:
    columns = con.columns(schema, table) or []
    rows = con.fetchall(f"select {', '.join(columns)} from {schema}.{table} order by {order}")
    return [dict(zip(columns, row, strict=True)) for row in rows]


def read_report_data(warehouse: str | Path) -> ReportData:
    data = ReportData()
    with open_warehouse(warehouse, read_only=True) as con:
        if con.columns("contacts", "contact_rfm") is not None:
            data.rfm_cells = [
                dict(zip(("r_score", "f_score", "contacts", "revenue"), row, strict=True))
                for row in con.fetchall(
                    "select r_score, f_score, count(*), sum(monetary)"
                    " from contacts.contact_rfm group by r_score, f_score"
                )
            ]
        else:
            data.missing.append("contacts.contact_rfm")
        if con.columns("segments", "segment_transitions") is not None:
            _read_segments(con, data)
        else:
            data.missing.append("segments.segment_transitions")
        for schema, table, target, order in MARTS:
            if con.columns(schema, table) is not None:
                setattr(data, target, _mart(con, schema, table, order))
            else:
                data.missing.append(f"{schema}.{table}")
    for rows in (data.kpis, data.flow_steps, data.lifts, data.flows):
        if rows:
            data.as_of = rows[0]["as_of"]
            break
    return data


SEGMENT_SIZES = """
with runs as (
    select distinct transitioned_at from segments.segment_transitions
),
per_run as (
    select segment_key, transitioned_at,
        sum(case when transition = 'entered' then 1 else -1 end) as net
    from segments.segment_transitions
    group by segment_key, transitioned_at
),
segment_keys as (
    select distinct segment_key from per_run
),
grid as (
    select segment_keys.segment_key, runs.transitioned_at, coalesce(per_run.net, 0) as net
    from segment_keys
    cross join runs
    left join per_run
        on per_run.segment_key = segment_keys.segment_key
        and per_run.transitioned_at = runs.transitioned_at
)
select segment_key, transitioned_at,
    sum(net) over (
        partition by segment_key order by transitioned_at rows unbounded preceding
    ) as members
from grid
order by segment_key, transitioned_at
"""

RFM_MOVES = """
select exits.segment_key, entries.segment_key, count(*)
from segments.segment_transitions as exits
inner join segments.segment_transitions as entries
    on exits.contact_id = entries.contact_id
    and exits.transitioned_at = entries.transitioned_at
where exits.transition = 'exited' and entries.transition = 'entered'
    and exits.segment_key like 'rfm_%' and entries.segment_key like 'rfm_%'
group by exits.segment_key, entries.segment_key
order by exits.segment_key, entries.segment_key
"""


def _read_segments(con: WarehouseConnection, data: ReportData) -> None:
    """Members per segment after every run that recorded transitions (entered - exited so
    far, carried over the runs where a segment did not change), for the largest segments;
    and contacts moving from one RFM segment to another at the same run."""
    counted = con.fetchall(
        "select count(distinct transitioned_at) from segments.segment_transitions"
    )
    data.segment_runs = int(counted[0][0]) if counted else 0
    sizes: dict[str, list[tuple[datetime, int]]] = {}
    for segment_key, at, members in con.fetchall(SEGMENT_SIZES):
        sizes.setdefault(str(segment_key), []).append((at, int(members)))
    largest = sorted(sizes, key=lambda key: (-sizes[key][-1][1], key))[:MAX_SEGMENT_LINES]
    data.segment_sizes = {key: sizes[key] for key in sorted(largest)}
    data.rfm_moves = [
        {"from_segment": source, "to_segment": target, "contacts": int(count)}
        for source, target, count in con.fetchall(RFM_MOVES)
        if str(source).startswith("rfm_") and str(target).startswith("rfm_")
    ]
