"""`nudge demo`: the whole loop on the embedded default, start to finish."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from activation.engagement import EngagementPullResult
from activation.sandbox.klaviyo import EngagementConfig, start_sandbox
from activation.sends import SendRunResult
from activation.sync import SyncRunResult
from nudge.clock import start_of_today_utc
from nudge.dbt_runner import DbtResult, run_dbt
from nudge.generate_command import run_generate
from nudge.paths import warehouse_path
from nudge.report.commands import default_report_path, run_pull, run_report
from nudge.sends_command import run_triggered_sends
from nudge.sync_command import klaviyo_environment, run_declared_syncs
from nudge.warehouse_summary import (
    marts_table,
    quarantine_table,
    raw_rows_table,
    summarize_warehouse,
    triggered_sends_table,
)


def sandbox_state_path(warehouse: Path) -> Path:
    """The sandbox keeps its profiles and lists next to the warehouse, across demo runs."""
    return warehouse.parent / "klaviyo_sandbox.sqlite"


@dataclass(frozen=True)
class DemoOutcome:
    syncs: list[SyncRunResult]
    sandbox_state: dict[str, Any]
    sends: SendRunResult | None = None  # the due triggered sends sent to the sandbox
    engagement: EngagementPullResult | None = None  # engagement pulled back after the sends
    report: Path | None = None  # the HTML measurement report


def run_dbt_with_progress(console: Console, warehouse: Path, as_of: datetime) -> DbtResult:
    with console.status("dbt build") as status:
        finished: list[str] = []

        def report(unique_id: str) -> None:
            finished.append(unique_id)
            status.update(f"dbt build: {len(finished)} nodes done, last {unique_id}")

        return run_dbt(
            ["build"],
            warehouse,
            dbt_vars={"as_of": str(as_of)},
            quiet=True,
            on_node_finished=report,
        )


def run_demo(console: Console, warehouse: Path, *, contacts: int, seed: int) -> DemoOutcome:
    as_of = start_of_today_utc()
    console.rule(f"1/4 Generate raw data into {warehouse}")
    run_generate(
        console, warehouse, contacts=contacts, seed=seed, end=as_of, days=365, bad_row_share=0.01
    )

    console.rule(f"2/4 dbt build as of {as_of:%Y-%m-%d %H:%M} UTC")
    build = run_dbt_with_progress(console, warehouse, as_of)
    statuses = [result["status"] for result in build.results]
    console.print(
        f"dbt build: {len(statuses)} nodes, "
        + ", ".join(f"{statuses.count(s)} {s}" for s in sorted(set(statuses)))
    )
    summary = summarize_warehouse(warehouse)
    console.print(marts_table(summary))
    console.print(raw_rows_table(summary))
    console.print(quarantine_table(summary))
    console.print(triggered_sends_table(summary))

    console.rule("3/4 Sync audiences and send due triggered sends to the local Klaviyo sandbox")
    api_key = sandbox_api_key(warehouse)
    # the sandbox simulates each send's engagement as it would happen (opens over the next
    # hours): a pull lands what has happened by then, the next day's run the rest
    sandbox = start_sandbox(
        api_key=api_key,
        state_path=sandbox_state_path(warehouse),
        engagement=EngagementConfig(seed=seed),
    )
    try:
        with klaviyo_environment(sandbox.base_url, api_key):
            syncs = run_declared_syncs(console, warehouse, name=None, dry_run=False)
            sends = run_triggered_sends(console, warehouse, destination="klaviyo").sends
            engagement = run_pull(console, warehouse)
        state = sandbox.state()
    finally:
        sandbox.stop()

    console.rule("4/4 What is in the sandbox now, and the report")
    console.print(sandbox_table(state))
    report = run_report(console, warehouse, default_report_path(warehouse))
    console.print(
        Panel.fit(
            f"Open the Dagster UI on this warehouse:  [bold]{dagster_command(warehouse)}[/bold]"
            "  (then http://127.0.0.1:3000)\n"
            f"Query the warehouse:  .venv/bin/nudge query{warehouse_option(warehouse)} "
            '"select rfm_segment, count(*) from contacts.contact_rfm group by 1"\n'
            "Run the demo again: the second sync and send find nothing to send.\n"
            "Engagement pulled now shows in the performance marts of the next build"
            " (as of a later instant).\n"
            f"Open the report:  [bold]{report}[/bold]",
            title="Next",
        )
    )
    console.print(f"Report: {report}")
    return DemoOutcome(syncs, state, sends, engagement, report)


def sandbox_api_key(warehouse: Path) -> str:
    """The demo sandbox's key, made once and kept beside its state: the sandbox stands for
    one Klaviyo account, and sync state is kept per account (base URL + key fingerprint)."""
    path = warehouse.parent / "klaviyo_sandbox.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"sandbox-{secrets.token_hex(12)}\n")
        path.chmod(0o600)
    return path.read_text().strip()


def warehouse_option(warehouse: Path) -> str:
    return "" if warehouse == warehouse_path() else f" --warehouse {warehouse}"


def dagster_command(warehouse: Path) -> str:
    option = warehouse_option(warehouse)
    return f".venv/bin/nudge dagster{option}" if option else "make dagster"


def sandbox_table(state: dict[str, Any]) -> Table:
    table = Table(title="Klaviyo sandbox state")
    table.add_column("object")
    table.add_column("count", justify="right")
    table.add_row("profiles", f"{state['profiles']:,}")
    for list_name, members in sorted(state["members_by_list"].items()):
        table.add_row(f"members of list '{list_name}'", f"{members:,}")
    table.add_row("events", f"{state['events']:,}")
    return table
