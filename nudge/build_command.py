"""`nudge build`: dbt build on the live warehouse, or, for a past --as-of, on a replay copy
(nudge/replay.py), saying where it went and how to query it."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from rich.console import Console

from activation.build_stamps import replay_tolerance
from activation.state import utcnow
from nudge.dbt_runner import parse_manifest, run_dbt
from nudge.replay import DUCKDB_TARGET, copy_sources, dbt_sources, plan_build


def run_build(console: Console, live: Path, as_of: datetime | None, into: Path | None) -> Path:
    """Build as of ``as_of`` (None: now); the DuckDB file built."""
    plan = plan_build(
        live,
        as_of,
        into,
        target=os.environ.get("NUDGE_DBT_TARGET", DUCKDB_TARGET),
        now=utcnow(),
        tolerance=replay_tolerance(),
    )
    dbt_vars = {"as_of": str(as_of)} if as_of else None
    if not plan.replay or as_of is None:
        run_dbt(["build"], live, dbt_vars=dbt_vars)
        return live
    manifest = parse_manifest(plan.warehouse)
    with console.status(f"Copying what dbt reads from {live} (read-only)"):
        copied = copy_sources(live, plan.warehouse, dbt_sources(manifest), as_of)
    tables = ", ".join(f"{name} ({rows:,} rows)" for name, rows in copied.items())
    # soft_wrap: paths stay on one line, to copy
    console.print(
        f"Replay as of {as_of}: copied {tables or 'no tables'} into {plan.warehouse}",
        soft_wrap=True,
    )
    run_dbt(["build"], plan.warehouse, dbt_vars=dbt_vars, manifest=manifest)
    console.print(
        f"Replay as of {as_of} built in {plan.warehouse}; the live warehouse {live} was not "
        "touched, and activation will not sync or send from the replay.\n"
        f'Query it: nudge query --warehouse {plan.warehouse} "select * from '
        'segments.segment_memberships"',
        soft_wrap=True,
    )
    return plan.warehouse
