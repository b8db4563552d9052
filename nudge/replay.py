"""Replays: `nudge build --as-of <past>` builds in a copy of the warehouse, never the live one.

A build as of an instant older than now minus the replay tolerance
(activation/build_stamps.py, NUDGE_REPLAY_TOLERANCE_MINUTES) shows the past. Built into the
live warehouse it would be what the next scheduled sync pushes and what the next sends are
planned from, and segment_transitions would keep its entries. So it goes to its own DuckDB
file (default `<warehouse folder>/replays/<name>_as_of_<instant>.duckdb`) holding a copy of
every table dbt reads from outside the project (its sources: the raw tables and
activation.send_ledger, which the models read as of as_of), and is built there. The live
file is only attached read-only, for the copy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from activation.build_stamps import is_replay, tolerance_text
from activation.warehouse import quote

REPLAYS_FOLDER = "replays"
DUCKDB_TARGET = "duckdb"
# what the copy records about itself; only a file carrying it is ever replaced by a replay
MARKER_SCHEMA = "nudge_meta"
MARKER_TABLE = "replay_source"
_LIVE = "nudge_live_warehouse"  # the live file's alias while attached


class ReplayRefused(Exception):
    """A build this command will not run as asked; the message says what to do instead."""


@dataclass(frozen=True)
class BuildPlan:
    warehouse: Path  # the DuckDB file dbt builds (the live one, or the replay copy)
    replay: bool


def default_replay_path(live: Path, as_of: datetime) -> Path:
    return live.parent / REPLAYS_FOLDER / f"{live.stem}_as_of_{as_of:%Y%m%dT%H%M%S}.duckdb"


def plan_build(
    live: Path,
    as_of: datetime | None,
    into: Path | None,
    *,
    target: str,
    now: datetime,
    tolerance: timedelta,
) -> BuildPlan:
    """Where a build as of ``as_of`` (None: now) goes: the live warehouse unless it is a
    replay, else a replay copy (``into``, or the default path). ReplayRefused when a replay
    cannot be kept off the live warehouse (another engine than DuckDB, ``into`` = live)."""
    if as_of is None or not is_replay(as_of, now, tolerance):
        if into is not None:
            raise ReplayRefused(
                f"--into is for replays; as of {as_of or now:%Y-%m-%d %H:%M:%S} is within "
                f"{tolerance_text(tolerance)} of now, which builds the live warehouse: drop "
                "--into"
            )
        return BuildPlan(live, replay=False)
    if target != DUCKDB_TARGET:
        raise ReplayRefused(
            f"refusing to build as of {as_of:%Y-%m-%d %H:%M:%S} on the {target} target: it is "
            f"more than {tolerance_text(tolerance)} in the past, a replay, "
            f"and the {target} target is the live warehouse activation reads. Replay on "
            "DuckDB (`nudge build --as-of` without NUDGE_DBT_TARGET), or give the replay its "
            "own database holding a copy of the raw tables and activation.send_ledger "
            "(postgres: NUDGE_PG_DATABASE; spark: NUDGE_SPARK_DIR; the models' schemas are "
            "fixed names, so a schema of its own is not enough) and run "
            f"""`dbt build --vars '{{"as_of": "{as_of:%Y-%m-%d %H:%M:%S}"}}'` there"""
        )
    replay = (into or default_replay_path(live, as_of)).resolve()
    if replay == live.resolve():
        raise ReplayRefused(
            f"--into {replay} is the live warehouse; a replay needs a file of its own"
        )
    return BuildPlan(replay, replay=True)


def copy_sources(
    live: Path, replay: Path, sources: Iterable[tuple[str, str]], as_of: datetime
) -> dict[str, int]:
    """A fresh ``replay`` file holding a copy of each (schema, table) of ``live`` that
    exists; rows copied per 'schema.table'. ``live`` is attached read-only and never
    written; an existing ``replay`` is replaced only if it is a replay copy itself."""
    if not live.exists():
        raise ReplayRefused(f"no warehouse at {live} to replay: load or generate raw data first")
    _clear(replay)
    replay.parent.mkdir(parents=True, exist_ok=True)
    copied: dict[str, int] = {}
    try:
        with duckdb.connect(str(replay)) as con:
            literal = str(live).replace("'", "''")
            con.execute(f"attach '{literal}' as {_LIVE} (read_only)")
            present = {
                (str(schema), str(table))
                for schema, table in con.execute(
                    "select table_schema, table_name from information_schema.tables"
                    " where table_catalog = ?",
                    [_LIVE],
                ).fetchall()
            }
            for schema, table in dict.fromkeys(sources):
                if (schema, table) not in present:
                    continue
                name = f"{quote(schema)}.{quote(table)}"
                con.execute(f"create schema if not exists {quote(schema)}")
                con.execute(f"create table {name} as select * from {_LIVE}.{name}")
                copied[f"{schema}.{table}"] = int(
                    con.execute(f"select count(*) from {name}").fetchall()[0][0]
                )
            con.execute(f"detach {_LIVE}")
            con.execute(f"create schema {MARKER_SCHEMA}")
            con.execute(
                f"create table {MARKER_SCHEMA}.{MARKER_TABLE} as select ? as live_warehouse,"
                " cast(? as timestamp) as as_of, current_timestamp::timestamp as copied_at",
                [str(live), as_of],
            )
    except duckdb.Error as exc:
        _remove(replay)
        reason = str(exc).splitlines()[0]
        if "lock" in reason.lower():
            reason += " (a build or sync is writing it: retry when it is done)"
        raise ReplayRefused(f"could not copy {live} (read-only) into {replay}: {reason}") from None
    return copied


def dbt_sources(manifest: object) -> list[tuple[str, str]]:
    """(schema, table) of every source of a parsed dbt manifest."""
    sources = getattr(manifest, "sources", {}) or {}
    return sorted({(source.schema, source.identifier) for source in sources.values()})


def _clear(replay: Path) -> None:
    """Remove a previous replay copy at ``replay``; refuse to replace any other file."""
    if not replay.exists():
        return
    try:
        with duckdb.connect(str(replay), read_only=True) as con:
            marked = con.execute(
                "select count(*) from information_schema.tables"
                " where table_schema = ? and table_name = ?",
                [MARKER_SCHEMA, MARKER_TABLE],
            ).fetchall()[0][0]
    except duckdb.Error:
        marked = 0
    if not marked:
        raise ReplayRefused(
            f"{replay} exists and is not a replay copy: remove it or choose another --into"
        )
    _remove(replay)


def _remove(path: Path) -> None:
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
