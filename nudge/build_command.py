"""`nudge build`: dbt build on the live warehouse, or, for a past --as-of, on a replay copy
(nudge/replay.py), saying where it went and how to query it."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from activation.build_stamps import replay_tolerance
from activation.state import utcnow
from activation.warehouse import DuckDBWarehouse
from nudge.build_output import (
    BuildProgress,
    build_progress,
    failure_report,
    key_marts_table,
    models_to_build,
    summary_table,
)
from nudge.dbt_runner import DbtCommandError, parse_manifest, run_dbt
from nudge.errors import UserError
from nudge.replay import DUCKDB_TARGET, copy_sources, dbt_sources, plan_build
from nudge.run_recorders import run_recorder

RAW_SOURCE = "raw"  # the dbt source of the raw input contract; the others may be absent


class NoRawData(UserError):
    """The warehouse to build has no raw tables (or does not exist)."""


def run_build(
    console: Console,
    live: Path,
    as_of: datetime | None,
    into: Path | None,
    *,
    verbose: bool = False,
) -> Path:
    """Build as of ``as_of`` (None: now); the DuckDB file built. ``verbose``: dbt's own log
    instead of the progress line (nudge/build_output.py)."""
    target = os.environ.get("NUDGE_DBT_TARGET", DUCKDB_TARGET)
    plan = plan_build(live, as_of, into, target=target, now=utcnow(), tolerance=replay_tolerance())
    dbt_vars = {"as_of": str(as_of)} if as_of else None
    manifest = None
    if target == DUCKDB_TARGET:  # elsewhere the raw tables are in another engine
        _require_file(live)  # before dbt, which would create an empty one
        manifest = parse_manifest(plan.warehouse)
        _require_raw_tables(live, raw_sources(manifest))
    if not plan.replay or as_of is None:
        recorder = run_recorder("nudge build")  # a replay is never recorded
        started = datetime.now(UTC)
        try:
            _build(console, live, dbt_vars, manifest, verbose)
        finally:  # a failed build records what it built and the tests that failed
            if recorder is not None:
                recorder.dbt_build(console, live, started, as_of)
        return live
    with console.status(f"Copying what dbt reads from {live} (read-only)"):
        copied = copy_sources(live, plan.warehouse, dbt_sources(manifest), as_of)
    tables = ", ".join(f"{name} ({rows:,} rows)" for name, rows in copied.items())
    # soft_wrap: paths stay on one line, to copy
    console.print(
        f"Replay as of {as_of}: copied {tables or 'no tables'} into {plan.warehouse}",
        soft_wrap=True,
    )
    _build(console, plan.warehouse, dbt_vars, manifest, verbose)
    console.print(
        f"Replay as of {as_of} built in {plan.warehouse}; the live warehouse {live} was not "
        "touched, and activation will not sync or send from the replay.\n"
        f'Query it: nudge query --warehouse {plan.warehouse} "select * from '
        'segments.segment_memberships"',
        soft_wrap=True,
    )
    return plan.warehouse


def _build(console: Console, warehouse: Path, dbt_vars: Any, manifest: Any, verbose: bool) -> None:
    """dbt build with a progress line and, at the end, the summary; dbt's log only when
    ``verbose`` or on failure, then each failing node's error."""
    started = time.monotonic()
    progress: BuildProgress | None = None
    try:
        if verbose:
            result = run_dbt(["build"], warehouse, dbt_vars=dbt_vars, manifest=manifest)
        else:
            with build_progress(console, models_to_build(manifest)) as progress:
                result = run_dbt(
                    ["build"],
                    warehouse,
                    dbt_vars=dbt_vars,
                    manifest=manifest,
                    silent=True,
                    on_event=progress,
                )
    except DbtCommandError as error:
        # dbt's log was kept back: shown now (with --verbose it was printed as it ran)
        console.print(failure_report(progress.log if progress else [], error.results))
        console.print(summary_table(error.results, time.monotonic() - started))
        raise
    console.print(summary_table(result.results, time.monotonic() - started))
    console.print(key_marts_table(warehouse))


def raw_sources(manifest: Any) -> list[tuple[str, str]]:
    """(schema, table) of the raw input contract's dbt sources, as the project's vars name
    them."""
    sources = getattr(manifest, "sources", {}) or {}
    return sorted(
        {(s.schema, s.identifier) for s in sources.values() if s.source_name == RAW_SOURCE}
    )


def _require_file(live: Path) -> None:
    if not live.exists():
        raise NoRawData(
            f"No warehouse at {live}: load the raw tables into it (docs/contracts/"
            "raw_events.md) or run `nudge generate` first; --warehouse or NUDGE_WAREHOUSE "
            "picks another file."
        )


def _require_raw_tables(live: Path, tables: Iterable[tuple[str, str]]) -> None:
    with DuckDBWarehouse(live, read_only=True) as warehouse:
        missing = [
            f"{schema}.{name}" for schema, name in tables if warehouse.columns(schema, name) is None
        ]
    if missing:
        raise NoRawData(
            f"No raw data in {live}: {', '.join(missing)} missing. Load the raw tables "
            "(docs/contracts/raw_events.md) or run `nudge generate`, then build."
        )
