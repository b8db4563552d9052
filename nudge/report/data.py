"""What the report shows, read from the marts as they are (no number is recomputed here
other than grouping contact_rfm by cell and counting segment_transitions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

MAX_SEGMENT_LINES = 8


@dataclass
class ReportData:
    as_of: datetime | None = None
    missing: list[str] = field(default_factory=list)  # marts not built yet
    rfm_cells: list[dict[str, Any]] = field(default_factory=list)
    segment_sizes: dict[str, list[tuple[datetime, int]]] = field(default_factory=dict)
    rfm_moves: list[dict[str, Any]] = field(default_factory=list)
    flows: list[dict[str, Any]] = field(default_factory=list)  # flow_benchmark_comparison
    lifts: list[dict[str, Any]] = field(default_factory=list)  # experiment_results
    flow_steps: list[dict[str, Any]] = field(default_factory=list)  # flow_performance


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(found and found[0])


def _dicts(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def read_report_data(warehouse: str | Path) -> ReportData:
    data = ReportData()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if _exists(con, "contacts", "contact_rfm"):
            data.rfm_cells = _dicts(
                con,
                "select r_score, f_score, count(*) as contacts, sum(monetary) as revenue"
                " from contacts.contact_rfm group by r_score, f_score",
            )
        else:
            data.missing.append("contacts.contact_rfm")
        if _exists(con, "segments", "segment_transitions"):
            _read_segments(con, data)
        else:
            data.missing.append("segments.segment_transitions")
        for table, target, order in (
            ("flow_benchmark_comparison", "flows", "trigger_key"),
            ("experiment_results", "lifts", "trigger_key, comparison, metric"),
            ("flow_performance", "flow_steps", "trigger_key, step, variant"),
        ):
            if _exists(con, "performance", table):
                setattr(
                    data, target, _dicts(con, f"select * from performance.{table} order by {order}")
                )
            else:
                data.missing.append(f"performance.{table}")
        for rows in (data.flow_steps, data.lifts, data.flows):
            if rows:
                data.as_of = rows[0]["as_of"]
                break
    return data


def _read_segments(con: duckdb.DuckDBPyConnection, data: ReportData) -> None:
    """Members per segment after each run that recorded transitions (entered - exited so
    far), for the largest segments; and contacts moving from one RFM segment to another
    in the same run."""
    rows = con.execute(
        """
        with per_run as (
            select segment_key, transitioned_at,
                sum(case when transition = 'entered' then 1 else -1 end) as net
            from segments.segment_transitions
            group by segment_key, transitioned_at
        )
        select segment_key, transitioned_at,
            sum(net) over (partition by segment_key order by transitioned_at) as members
        from per_run
        order by segment_key, transitioned_at
        """
    ).fetchall()
    sizes: dict[str, list[tuple[datetime, int]]] = {}
    for segment_key, at, members in rows:
        sizes.setdefault(str(segment_key), []).append((at, int(members)))
    largest = sorted(sizes, key=lambda key: (-sizes[key][-1][1], key))[:MAX_SEGMENT_LINES]
    data.segment_sizes = {key: sizes[key] for key in sorted(largest)}
    data.rfm_moves = _dicts(
        con,
        """
        select exits.segment_key as from_segment, entries.segment_key as to_segment,
            count(*) as contacts
        from segments.segment_transitions as exits
        inner join segments.segment_transitions as entries
            on exits.contact_id = entries.contact_id
            and exits.transitioned_at = entries.transitioned_at
        where exits.transition = 'exited' and entries.transition = 'entered'
            and exits.segment_key like 'rfm\\_%' escape '\\'
            and entries.segment_key like 'rfm\\_%' escape '\\'
        group by exits.segment_key, entries.segment_key
        order by exits.segment_key, entries.segment_key
        """,
    )
