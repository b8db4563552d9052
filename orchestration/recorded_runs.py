"""Runs made outside Dagster (`nudge build`, `nudge sync`, `nudge pull`, `nudge report`, `nudge
demo`), reported through the entry point group nudge.run_recorders (nudge/run_recorders.py),
recorded in the Dagster instance `nudge dagster` opens (orchestration/instance.py), as
the events a Dagster run of the same work records: a materialization per dbt model, seed or
snapshot built (dbt status, row count, duration, as_of), an asset check evaluation per dbt
data test, a materialization per sync, send run, feedback pull (suppressions read back, or
engagement pulled) and report written, with its counts. Asset keys and check names are the
code location's (NudgeDbtTranslator, orchestration/assets/), so the UI shows them on the same
assets.

The command queues its events in DAGSTER_HOME/nudge_runs/ and returns; a writer started in
the background reports them to the instance (Dagster's SQLite storage writes event by event:
a build's few hundred take seconds to a minute), so they show in the UI shortly after.
`NUDGE_DAGSTER_RECORD=false` turns it off (the test suite does). A replay (`nudge build
--as-of` in the past) is never recorded: the assets are the live warehouse's tables."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from activation.errors import ConfigurationError
from activation.runs import DeclaredSyncRun
from nudge.paths import PROJECT_ROOT
from nudge.run_recorders import RunRecorder

RECORD_ENV = "NUDGE_DAGSTER_RECORD"
QUEUE_DIR = "nudge_runs"  # in DAGSTER_HOME: events waiting for the background writer
_SWITCH = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
# dbt materializations that leave a table to count (a view is not counted, as in Dagster runs)
COUNTED = ("table", "incremental", "seed", "snapshot")
BUILT_TYPES = ("model", "seed", "snapshot")
# what dagster-dbt treats as built (dagster_dbt.compat.SUCCESSFUL_NODE_STATUSES)
BUILT_STATUSES = ("success", "no-op", "reused", "warn")
RECORD_ID = "nudge/record_id"  # <queued file>#<index>: makes the writer idempotent
RUNLESS = ""  # the run id of events reported outside a run
# newest run-less events searched for the one a dead writer may have stored uncounted (a
# Dagster sensor or the UI may have reported a few since)
RESUME_LOOKBACK = 20


def recording_enabled(env: Mapping[str, str] | None = None) -> bool:
    raw = (os.environ if env is None else env).get(RECORD_ENV, "").strip().lower()
    if not raw:
        return True
    if raw not in _SWITCH:
        raise ConfigurationError(
            f"{RECORD_ENV}={raw!r} is not true or false: unset it to record nudge's builds and "
            "syncs in the Dagster instance (DAGSTER_HOME), or set it to false not to."
        )
    return _SWITCH[raw]


def recorder_for(command: str) -> RunRecorder | None:
    """The recorder of the entry point group nudge.run_recorders (pyproject.toml,
    nudge/run_recorders.py): None when recording is off; a bad NUDGE_DAGSTER_RECORD fails
    before any work."""
    return Recorder(command) if recording_enabled() else None


@dataclass(frozen=True)
class Recorder:
    """Records one nudge command's work; `command` names it in every event's metadata."""

    command: str

    def dbt_build(
        self, console: Console, warehouse: Path, started: datetime, as_of: datetime | None
    ) -> None:
        """The dbt invocation that wrote `<warehouse>_dbt/target` after `started` (UTC)."""
        from activation.warehouse import open_warehouse
        from nudge.dbt_runner import dbt_artifacts_dir

        context = {"nudge/command": self.command, "as_of": str(as_of) if as_of else "now"}

        def events() -> list[Any]:
            with open_warehouse(warehouse, read_only=True) as connection:

                def count(relation: str) -> int:
                    return int(connection.fetchall(f"select count(*) from {relation}")[0][0])

                target = dbt_artifacts_dir(warehouse) / "target"
                return dbt_build_events(target, started, context, count)

        self.report(console, events)

    def syncs(self, console: Console, runs: Sequence[DeclaredSyncRun]) -> None:
        from dagster import AssetMaterialization

        from orchestration.assets.syncs import run_metadata, sync_asset_key

        events = [
            AssetMaterialization(
                sync_asset_key(run.declaration),
                metadata={**run_metadata(run.result, run.target), "nudge/command": self.command},
            )
            for run in runs
        ]
        self.report(console, lambda: events)

    def sends(
        self, console: Console, destination: str, result: Any, readback: Any | None = None
    ) -> None:
        """A send run, and the suppression read-back that preceded it (a feedback pull)."""
        from dagster import AssetMaterialization

        from orchestration.assets.esp import sends_metadata, triggered_sends_key

        metadata = {
            **sends_metadata(result, result.destination_target),
            "nudge/command": self.command,
        }
        events = [AssetMaterialization(triggered_sends_key(destination), metadata=metadata)]
        if readback is not None:
            events.insert(0, self._feedback_pull(destination, suppressions=readback))
        self.report(console, lambda: events)

    def engagement_pull(self, console: Console, destination: str, result: Any) -> None:
        """`nudge pull`: the engagement half of the destination's feedback pull asset."""
        event = self._feedback_pull(destination, engagement=result)
        self.report(console, lambda: [event])

    def measurement_report(self, console: Console, path: Path, warehouse: Path) -> None:
        """The report written to the asset's file (orchestration/assets/report.py)."""
        from dagster import AssetMaterialization

        from orchestration.assets.report import REPORT_KEY, report_metadata

        def events() -> list[Any]:
            metadata = {**report_metadata(path, warehouse), "nudge/command": self.command}
            return [AssetMaterialization(REPORT_KEY, metadata=metadata)]

        self.report(console, events)

    def _feedback_pull(
        self, destination: str, *, suppressions: Any = None, engagement: Any = None
    ) -> Any:
        from dagster import AssetMaterialization

        from orchestration.assets.esp import (
            engagement_metadata,
            feedback_pull_key,
            suppressions_metadata,
        )

        metadata: dict[str, Any] = {"nudge/command": self.command}
        if suppressions is not None:
            metadata.update(suppressions_metadata(suppressions))
        if engagement is not None:
            metadata.update(engagement_metadata(engagement))
        return AssetMaterialization(feedback_pull_key(destination), metadata=metadata)

    def report(self, console: Console, events: Callable[[], Sequence[Any]]) -> None:
        """Queue the events for the instance and start a writer in the background (a few
        hundred events take Dagster's SQLite storage seconds to a minute). A failure is
        reported, not raised: the work itself is done and must not look failed because its
        record could not be written."""
        from dagster import serialize_value

        from orchestration.instance import dagster_home, install_dagster_instance

        home = dagster_home()
        try:
            recorded = events()
            if not recorded:
                return
            install_dagster_instance(home)
            queue = home / QUEUE_DIR
            queue.mkdir(exist_ok=True)
            # named by time: the writer reports queued files in the order they were made
            queued = queue / f"{time.time_ns():020d}-{os.getpid()}.json"
            partial = queued.with_suffix(".partial")
            partial.write_text(serialize_value(list(recorded)), encoding="utf-8")
            partial.rename(queued)
            start_writer(home)
        except Exception as exc:  # any failure: see the docstring
            console.print(f"[yellow]Not recorded in Dagster ({home}): {exc}", soft_wrap=True)
            return
        console.print(
            f"[dim]Recording in Dagster ({home}), in the background: {describe(recorded)}",
            soft_wrap=True,
        )


def start_writer(home: Path) -> None:
    """`python -m orchestration.recorded_runs` in a session of its own, so it finishes even
    when this command has exited; its output goes to the queue's log."""
    with (home / QUEUE_DIR / "writer.log").open("ab") as log:
        subprocess.Popen(
            [sys.executable, "-m", "orchestration.recorded_runs", str(home)],
            cwd=PROJECT_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def write_queued(home: Path) -> int:
    """Report every queued file to the instance at `home`, oldest first, deleting each once
    written; one writer at a time (the others find the queue empty). The events written.

    Idempotent when a writer dies mid-file: each event is stamped with its place in the queue
    (RECORD_ID), and after each one the count written is kept beside the file, so the next
    writer resumes there; the one event a writer may have stored without counting it (it
    died in between) is skipped when the instance's newest events already hold its stamp."""
    from dagster import DagsterInstance, deserialize_value

    queue = home / QUEUE_DIR
    written = 0
    with (queue / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        files = sorted(queue.glob("*.json"))
        if not files:
            return 0
        with DagsterInstance.from_config(str(home)) as instance:
            for path in files:
                events = deserialize_value(path.read_text(encoding="utf-8"), list)
                progress = path.with_suffix(".written")
                done = int(progress.read_text()) if progress.exists() else 0
                for index in range(done, len(events)):
                    stamp = f"{path.stem}#{index}"
                    if index > done or not _stored(instance, stamp):
                        event = events[index]
                        instance.report_runless_asset_event(
                            event.with_metadata({**event.metadata, RECORD_ID: stamp})
                        )
                        written += 1
                    _write_atomically(progress, str(index + 1))
                path.unlink()
                progress.unlink(missing_ok=True)
    return written


def _stored(instance: Any, stamp: str) -> bool:
    """Whether one of the instance's newest run-less events (those reported outside a run,
    as the writer's are) carries `stamp`."""
    newest = instance.get_records_for_run(RUNLESS, ascending=False, limit=RESUME_LOOKBACK)
    return any(record_stamp(record) == stamp for record in newest.records)


def record_stamp(record: Any) -> str | None:
    """The RECORD_ID of an event log record (a materialization or a check evaluation)."""
    event = record.event_log_entry.dagster_event
    data = getattr(event, "event_specific_data", None)
    metadata = getattr(getattr(data, "materialization", data), "metadata", None) or {}
    value = getattr(metadata.get(RECORD_ID), "value", None)
    return value if isinstance(value, str) else None


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def queue_is_empty(home: Path) -> bool:
    """Nothing queued and no writer at work."""
    queue = home / QUEUE_DIR
    if not queue.exists():
        return True
    with (queue / ".lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return not any(queue.glob("*.json"))


def dbt_build_events(
    target: Path,
    started: datetime,
    context: Mapping[str, str],
    count_rows: Callable[[str], int],
) -> list[Any]:
    """Materializations and check evaluations from dbt's run_results.json in `target`, if
    that invocation started after `started` (else dbt stopped before running a node); each
    table's `dagster/row_count` (as dagster-dbt's fetch_row_counts gives in a Dagster run)
    from `count_rows(relation)`."""
    from dagster import AssetCheckEvaluation, AssetCheckSeverity, AssetMaterialization
    from dagster_dbt.asset_utils import get_asset_check_key_for_test

    from orchestration.translator import NudgeDbtTranslator

    run_results = _json(target / "run_results.json")
    if run_results is None or _started(run_results) < started:
        return []
    manifest = _json(target / "manifest.json") or {}
    nodes: Mapping[str, Any] = manifest.get("nodes", {})
    translator = NudgeDbtTranslator()
    invocation = run_results["metadata"]["invocation_id"]
    events: list[Any] = []
    for result in run_results["results"]:
        node, status = nodes.get(result["unique_id"]), str(result["status"])
        if node is None:  # hooks, unit tests
            continue
        metadata: dict[str, Any] = {
            **context,
            "unique_id": result["unique_id"],
            "invocation_id": invocation,
            "status": status,
            "Execution Duration": result["execution_time"],
        }
        if node["resource_type"] in BUILT_TYPES and status in BUILT_STATUSES:
            if node["config"].get("materialized") == "ephemeral":
                continue
            key = translator.get_asset_spec(manifest, result["unique_id"], None).key
            relation = result.get("relation_name")
            if relation and node["config"].get("materialized", node["resource_type"]) in COUNTED:
                metadata["dagster/row_count"] = count_rows(relation)
            events.append(AssetMaterialization(key, metadata=metadata))
        elif node["resource_type"] == "test" and status != "skipped":
            check = get_asset_check_key_for_test(manifest, translator, result["unique_id"], None)
            if check is None:
                continue
            if result.get("failures") is not None:
                metadata["dagster_dbt/failed_row_count"] = result["failures"]
            events.append(
                AssetCheckEvaluation(
                    asset_key=check.asset_key,
                    check_name=check.name,
                    passed=status == "pass",
                    severity=AssetCheckSeverity.WARN
                    if status == "warn"
                    else AssetCheckSeverity.ERROR,
                    metadata=metadata,
                )
            )
    return events


def describe(events: Sequence[Any]) -> str:
    from dagster import AssetMaterialization

    built = sum(isinstance(event, AssetMaterialization) for event in events)
    checks = len(events) - built
    failed = sum(not getattr(event, "passed", True) for event in events)
    text = f"{built} materialization{'s' if built != 1 else ''}"
    if checks:
        text += f", {checks} check result{'s' if checks != 1 else ''} ({failed} failed)"
    return text


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _started(run_results: Mapping[str, Any]) -> datetime:
    metadata = run_results.get("metadata", {})
    stamp = str(metadata.get("invocation_started_at") or metadata.get("generated_at") or "")
    if not stamp:
        return datetime.min.replace(tzinfo=UTC)
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


if __name__ == "__main__":
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} wrote {write_queued(Path(sys.argv[1]))} events")
