"""`nudge pull` (ESP engagement into raw.events) and `nudge report` (the HTML report), also
run by the demo."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from activation.engagement import EngagementPullResult, pull_engagement
from activation.runs import destination_settings, sends_destination
from activation.warehouse import open_warehouse
from nudge.run_recorders import run_recorder

from .page import write_report


def default_report_path(warehouse: Path) -> Path:
    return warehouse.parent / "report.html"


def run_pull(
    console: Console, warehouse: Path, command: str = "nudge pull"
) -> EngagementPullResult:
    """Pull engagement from the sends' ESP (``NUDGE_SENDS_DESTINATION``, default klaviyo),
    recorded in Dagster as that ESP's feedback pull (orchestration/recorded_runs.py)."""
    recorder = run_recorder(command)
    settings = destination_settings(sends_destination())
    with console.status(f"Pulling engagement from {settings.destination}"):
        result = pull_engagement(warehouse, settings)
    console.print(pull_table(result))
    if recorder is not None:
        recorder.engagement_pull(console, settings.destination, result)
    return result


def pull_table(result: EngagementPullResult) -> Table:
    start = f"{result.window_start:%Y-%m-%d %H:%M}" if result.window_start else "the beginning"
    title = f"ESP engagement pulled ({start} to {result.window_end:%Y-%m-%d %H:%M} UTC)"
    table = Table(title=title, min_width=len(title) + 4)
    table.add_column("")
    table.add_column("events", justify="right")
    table.add_row("read from the ESP", f"{result.pulled:,}")
    table.add_row("landed in raw.events (new)", f"{result.landed:,}")
    for name, count in sorted(result.by_event.items()):
        table.add_row(f"  {name}", f"{count:,}")
    table.add_row("  matching no contact", f"{result.unmatched:,}")
    table.add_row("of erased people (not landed)", f"{result.erased:,}")
    table.add_row("api calls", f"{result.api_calls:,}")
    return table


def run_report(
    console: Console, warehouse: Path, output: Path | None = None, command: str = "nudge report"
) -> Path:
    """Write the report; the one beside the warehouse (the Dagster asset's file) is
    recorded in Dagster as that asset's materialization."""
    recorder = run_recorder(command)
    path = write_report(warehouse, output or default_report_path(warehouse))
    console.print(f"Report: [bold]{path}[/bold]")
    if recorder is not None and path.resolve() == default_report_path(warehouse).resolve():
        recorder.measurement_report(console, path, warehouse)
    return path


def flow_performance_table(warehouse: Path) -> Table:
    """Each flow's funnel over all its steps and variants, as summed in
    performance.flow_benchmark_comparison."""
    table = Table(title="Flow performance (performance.flow_benchmark_comparison)")
    table.add_column("trigger", no_wrap=True)
    # short headers: the table fits an 80-column terminal with the longest trigger key
    for column in ("sent", "deliv.", "opens", "clicks", "conv.", "revenue"):
        table.add_column(column, justify="right")
    with open_warehouse(warehouse, read_only=True) as connection:
        rows = connection.fetchall(
            "select trigger_key, sends, delivered, opens, clicks, conversions, revenue"
            " from performance.flow_benchmark_comparison order by trigger_key"
        )
    for trigger_key, *counts, revenue in rows:
        table.add_row(trigger_key, *(f"{n:,}" for n in counts), f"{revenue:,.2f}")
    return table
