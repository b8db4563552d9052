"""Run dbt in-process against one warehouse file.

Each warehouse gets its own target and log folders next to it, so tests building separate
warehouses in parallel never share dbt's partial-parse state.

The default is the DuckDB file `warehouse` through the project's profiles.yml (target from
NUDGE_DBT_TARGET, default `duckdb`). Other engines: pass `target` (an output of the
profile, e.g. `postgres`, `spark`) and the env vars that output reads (`env`, e.g.
NUDGE_PG_PORT); `warehouse` then only anchors the artifacts folder.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nudge.paths import PROJECT_ROOT

# the as_of dbt builds as of when no `as_of` var is given (macros/cross_db/as_of.sql)
AS_OF_ENV = "NUDGE_AS_OF"
# "1": the `unique_incremental` tests check only the keys written lately, each against the
# whole table (tests/dbt/generic/unique_incremental.sql); the trigger job sets it. An
# environment variable, like NUDGE_AS_OF, because a var that changes re-parses the project
WRITTEN_KEYS_ONLY_ENV = "NUDGE_UNIQUE_ON_WRITTEN_KEYS"

NODES_NAMED = 5  # failed nodes a summary names before "and N more"
OK_STATUSES = ("success", "pass", "warn", "skipped", "no-op")


class DbtCommandError(RuntimeError):
    """A dbt command finished unsuccessfully: the nodes that failed (unique_id, status),
    or the error that stopped dbt before any node ran, and dbt's log file."""

    def __init__(
        self,
        message: str,
        *,
        command: str = "dbt",
        failed: Sequence[tuple[str, str]] = (),
        skipped: int = 0,
        cause: str | None = None,
        log_file: Path | None = None,
        results: Sequence[dict[str, Any]] = (),
    ) -> None:
        super().__init__(message)
        self.command = command
        self.results = list(results)  # every node's, as DbtResult.results
        self.failed = list(failed)
        self.skipped = skipped
        self.cause = cause
        self.log_file = log_file

    def summary(self) -> str:
        """One line: which nodes failed (or why dbt stopped) and where dbt's log is."""
        if self.failed:
            named = [f"{node_label(node)} ({status})" for node, status in self.failed]
            shown = ", ".join(named[:NODES_NAMED])
            if len(named) > NODES_NAMED:
                shown += f" and {len(named) - NODES_NAMED} more"
            plural = "s" if len(named) > 1 else ""
            what = f" at {len(named)} node{plural}: {shown}"
            if self.skipped:
                what += f"; {self.skipped} downstream skipped"
        else:
            what = ": " + ((self.cause or "").strip().splitlines() or ["see its log"])[0]
        where = f"; details in {self.log_file}" if self.log_file else ""
        return f"{self.command} failed{what}{where}"


@dataclass(frozen=True)
class DbtResult:
    success: bool
    results: list[dict[str, Any]]


def dbt_artifacts_dir(warehouse: Path) -> Path:
    return warehouse.parent / f"{warehouse.stem}_dbt"


def run_dbt(
    args: Sequence[str],
    warehouse: Path,
    dbt_vars: Mapping[str, Any] | None = None,
    check: bool = True,
    *,
    target: str | None = None,
    env: Mapping[str, str] | None = None,
    profiles_dir: Path | None = None,
    quiet: bool = False,
    silent: bool = False,
    on_node_finished: Callable[[str], None] | None = None,
    on_event: Callable[[Any], None] | None = None,
    manifest: Any | None = None,
) -> DbtResult:
    """Invoke `dbt <args>` on `warehouse`; raise DbtCommandError on failure when `check`.

    `target` picks a profile output (default: the profile's own choice); `env` sets
    environment variables for the duration of the call (profiles read them with env_var);
    `profiles_dir` replaces the project's profiles.yml folder. `quiet` keeps dbt's log
    off the console (errors and the log file stay), `silent` all of it (the log file stays);
    `on_node_finished` is called with each node's unique_id as it completes, for progress
    display, `on_event` with every dbt event (its `info.name`, `info.level`, `info.msg`).
    `manifest` (from parse_manifest) skips parsing: for callers running the same project
    many times.
    `dbt_vars["as_of"]` goes to dbt as the environment variable NUDGE_AS_OF, not as a var,
    so a new as_of does not make dbt re-parse the project.
    """
    from dbt.cli.main import dbtRunner

    artifacts = dbt_artifacts_dir(warehouse)
    command = [
        *args,
        "--project-dir",
        str(PROJECT_ROOT),
        "--profiles-dir",
        str(profiles_dir or PROJECT_ROOT),
        "--target-path",
        str(artifacts / "target"),
        "--log-path",
        str(artifacts / "logs"),
    ]
    if target:
        command += ["--target", target]
    if quiet:
        command += ["--quiet"]
    if silent:  # --log-level would set the file's level too
        command += ["--log-level", "none", "--log-level-file", "debug"]
    callbacks = [_node_finished_callback(on_node_finished)] if on_node_finished else []
    if on_event:
        callbacks.append(on_event)
    other_vars = {name: value for name, value in (dbt_vars or {}).items() if name != "as_of"}
    if other_vars:
        command += ["--vars", json.dumps(other_vars, default=str)]
    overrides = {
        **(env or {}),
        "NUDGE_WAREHOUSE": str(warehouse),
        # macros/cross_db/as_of.sql reads it: as a var it would force a full re-parse
        AS_OF_ENV: _as_of_text((dbt_vars or {}).get("as_of")),
    }
    with environment(overrides):
        try:
            outcome = dbtRunner(manifest=manifest, callbacks=callbacks).invoke(command)
        finally:
            release_duckdb_file()
            close_dbt_log_file()
    results = _node_results(outcome.result)
    if check and not outcome.success:
        failed = [r for r in results if r["status"] not in OK_STATUSES]
        detail = "; ".join(f"{r['unique_id']}: {r['status']} {r['message']}" for r in failed)
        raise DbtCommandError(
            f"dbt {' '.join(args)} failed: {detail or outcome.exception or 'see dbt logs'}",
            command=f"dbt {args[0]}" if args else "dbt",
            failed=[(r["unique_id"], r["status"]) for r in failed],
            skipped=sum(r["status"] == "skipped" for r in results),
            cause=None if failed else str(outcome.exception or ""),
            log_file=artifacts / "logs" / "dbt.log",
            results=results,
        )
    return DbtResult(success=outcome.success, results=results)


def _as_of_text(as_of: object) -> str:
    """The as_of handed to dbt; empty means "the instant dbt starts"."""
    return "" if as_of is None else str(as_of)


def parse_manifest(warehouse: Path, quiet: bool = True) -> Any:
    """`dbt parse` on `warehouse`: the parsed manifest, to pass to run_dbt(manifest=...).
    Vars given to those runs still apply when their models compile."""
    from dbt.cli.main import dbtRunner

    artifacts = dbt_artifacts_dir(warehouse)
    command = ["parse", "--project-dir", str(PROJECT_ROOT), "--profiles-dir", str(PROJECT_ROOT)]
    command += ["--target-path", str(artifacts / "target"), "--log-path", str(artifacts / "logs")]
    if quiet:
        command += ["--quiet"]
    with environment({"NUDGE_WAREHOUSE": str(warehouse)}):
        try:
            outcome = dbtRunner().invoke(command)
        finally:
            close_dbt_log_file()
    if not outcome.success:
        raise DbtCommandError(
            f"dbt parse failed: {outcome.exception or 'see dbt logs'}",
            command="dbt parse",
            cause=str(outcome.exception or ""),
            log_file=artifacts / "logs" / "dbt.log",
        )
    return outcome.result


def node_label(unique_id: str) -> str:
    """'model.nudge.contact_rfm' -> 'model contact_rfm', as dbt's own summary names it."""
    parts = unique_id.split(".")
    return f"{parts[0]} {parts[-1]}" if len(parts) > 2 else unique_id


def _node_finished_callback(report: Callable[[str], None]) -> Callable[[Any], None]:
    def callback(event: Any) -> None:
        if event.info.name == "NodeFinished":
            report(event.data.node_info.unique_id)

    return callback


DBT_FILE_LOGGER = "file_log"  # dbt/events/logging.py: the logger writing logs/dbt.log


def close_dbt_log_file() -> None:
    """Close dbt's log file after an in-process invocation. dbt keeps it open, and the next
    invocation drops its handler unclosed, so the file is left to the garbage collector (a
    ResourceWarning in whatever runs then, e.g. a Dagster run in the same process). A later
    event would reopen it: a FileHandler reopens a closed file in append mode."""
    for handler in logging.getLogger(DBT_FILE_LOGGER).handlers:
        handler.close()


def release_duckdb_file() -> None:
    """dbt-duckdb keeps its connection open for the life of the process; close it so this
    process (and others) can open the file again, read-only included."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        close = getattr(environment, "close", None)
        if close is not None:
            close()
        DuckDBConnectionManager.close_all_connections()


@contextmanager
def environment(overrides: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of the block, then restore them."""
    previous = {name: os.environ.get(name) for name in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _node_results(result: object) -> list[dict[str, Any]]:
    rows = []
    for node_result in getattr(result, "results", None) or []:
        node = getattr(node_result, "node", None)
        rows.append(
            {
                "unique_id": getattr(node, "unique_id", ""),
                "status": str(getattr(node_result, "status", "")),
                "message": getattr(node_result, "message", "") or "",
                "rows": (getattr(node_result, "adapter_response", None) or {}).get("rows_affected"),
                "compiled_code": getattr(node, "compiled_code", None),
            }
        )
    return rows
