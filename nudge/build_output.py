"""What `nudge build` shows people: a progress line while dbt runs (nodes done of all, models
done of all, the model running now), a summary table at the end (models, seeds, tests
passed/failed/warned, rows of the key marts, duration), dbt's own log only with --verbose or
when the build failed, then the failing nodes' errors one by one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from nudge.dbt_runner import OK_STATUSES, node_label

# the marts people look at first after a build; rows counted when the build made them
KEY_MARTS = (
    "contact_profiles",
    "contact_rfm",
    "segment_memberships",
    "triggered_sends",
    "email_kpis",
    "flow_performance",
)
CONSOLE_LEVELS = ("info", "warn", "error")  # what dbt prints at its default --log-level
ERROR_LINES = 20  # of a failing node's message; the rest is in dbt's log file
# a summary row per kind of node: (unique_id prefix, label)
KINDS = (
    ("model", "models"),
    ("seed", "seeds"),
    ("snapshot", "snapshots"),
    ("test", "data tests"),
    ("unit_test", "unit tests"),
)


class BuildProgress:
    """The dbt event callback (run_dbt's on_event) driving a rich progress line; it also
    keeps the lines dbt would have printed, to show if the build fails."""

    def __init__(self, progress: Progress, models: int | None) -> None:
        self.progress = progress
        self.models = models
        self.models_done = 0
        self.log: list[str] = []
        self.task = progress.add_task("starting", total=None)

    def __call__(self, event: Any) -> None:
        info = event.info
        if info.level in CONSOLE_LEVELS and info.msg:
            self.log.append(info.msg)
        if info.name == "LogStartLine":
            self.progress.update(self.task, total=event.data.total)
            self.progress.update(self.task, description=self._describe(event.data.node_info))
        elif info.name == "NodeFinished":
            if event.data.node_info.resource_type == "model":
                self.models_done += 1
            self.progress.advance(self.task)

    def _describe(self, node: Any) -> str:
        models = f"{self.models_done}/{self.models}" if self.models else str(self.models_done)
        return f"models {models} · {node.resource_type} {node.node_name}"


@contextmanager
def build_progress(console: Console, models: int | None) -> Iterator[BuildProgress]:
    # the running node last: a narrow terminal cuts its name, not the counts
    columns = (
        TextColumn("dbt build"),
        BarColumn(bar_width=24),
        MofNCompleteColumn(),
        TextColumn("nodes"),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        yield BuildProgress(progress, models)


def models_to_build(manifest: Any) -> int | None:
    """The models a full `dbt build` runs (ephemeral ones are compiled into others), from
    a parsed manifest; None without one."""
    if manifest is None:
        return None
    return sum(
        node.resource_type == "model" and node.config.materialized != "ephemeral"
        for node in manifest.nodes.values()
    )


def summary_table(results: Sequence[dict[str, Any]], seconds: float) -> Table:
    """Nodes by kind and status, and the duration."""
    table = Table(title=f"dbt build: {len(results):,} nodes in {_duration(seconds)}")
    table.add_column("")
    for column in ("ok", "warned", "failed", "skipped"):
        table.add_column(column, justify="right")
    by_kind: dict[str, Counter[str]] = {}
    for result in results:
        kind = result["unique_id"].split(".", 1)[0]
        by_kind.setdefault(kind, Counter())[_outcome(result["status"])] += 1
    for kind, label in KINDS:
        if kind in by_kind:
            counts = by_kind[kind]
            cells = (counts[name] for name in ("ok", "warned", "failed", "skipped"))
            table.add_row(label, *(f"{n:,}" for n in cells))
    return table


def key_marts_table(warehouse: Path) -> Table:
    """Rows of each KEY_MARTS model the build made, in the warehouse of the dbt target."""
    from activation.warehouse import open_warehouse
    from nudge.warehouse_summary import WarehouseSummary, mart_relations, marts_table

    relations = mart_relations(warehouse)
    present = [name for name in KEY_MARTS if name in relations]
    with open_warehouse(warehouse, read_only=True) as connection:
        rows = {
            name: int(connection.fetchall(f"select count(*) from {relations[name]}")[0][0])
            for name in present
        }
    return marts_table(WarehouseSummary(rows, [], []))


def failure_report(log: Sequence[str], results: Sequence[dict[str, Any]]) -> Group:
    """dbt's log of the failed build, then each failing node's error in a panel."""
    failed = [r for r in results if r["status"] not in OK_STATUSES]
    panels = [
        Panel(
            Text("\n".join(str(r["message"]).strip().splitlines()[:ERROR_LINES]) or r["status"]),
            title=f"{node_label(r['unique_id'])}: {r['status']}",
            title_align="left",
            border_style="red",
        )
        for r in failed
    ]
    return Group(Text.from_ansi("\n".join(log)), *panels)  # dbt colours its lines


def _outcome(status: str) -> str:
    if status == "warn":
        return "warned"
    if status == "skipped":
        return "skipped"
    return "ok" if status in OK_STATUSES else "failed"


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{seconds:.1f} s"
