"""`nudge demo`: the whole loop on the embedded default, start to finish."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from activation.destinations.klaviyo.sandbox import EngagementConfig, start_sandbox
from activation.engagement import EngagementPullResult
from activation.segment_audit import SegmentListSize, segment_list_sizes
from activation.sends import SendRunResult
from activation.sends.audit import SendAudit, audit_sends
from activation.sync import SyncRunResult
from activation.warehouse import Warehouse
from nudge.clock import start_of_today_utc
from nudge.dbt_runner import DbtResult, run_dbt
from nudge.generate_command import run_generate
from nudge.paths import warehouse_path
from nudge.report.commands import (
    default_report_path,
    flow_performance_table,
    run_pull,
    run_report,
)
from nudge.run_recorders import run_recorder
from nudge.sends_command import run_triggered_sends
from nudge.sync_command import declared_syncs, klaviyo_environment, run_declared_syncs
from nudge.warehouse_summary import (
    marts_table,
    quarantine_table,
    raw_rows_table,
    summarize_warehouse,
    triggered_sends_table,
)

DEMO_COMMAND = "nudge demo"  # names its builds, syncs and sends in what Dagster records
# the sandbox runs engagement this many times faster than real time (an hour a second), so
# the demo can wait for the opens and clicks of its sends instead of for hours
ENGAGEMENT_SPEEDUP = 3600
# the measurement build: the performance marts and what they read, with the data tests of
# those models only (cautious: a test that also reads an unselected model, e.g. a sync,
# would compare against a stale table); unit tests ran in the first build
MEASUREMENT_BUILD = (
    "--select",
    "+path:models/marts/performance",
    "--exclude",
    "test_type:unit",
    "--indirect-selection",
    "cautious",
)


def sandbox_state_path(warehouse: Path) -> Path:
    """The sandbox keeps its profiles and lists next to the warehouse, across demo runs."""
    return warehouse.parent / "klaviyo_sandbox.sqlite"


@dataclass(frozen=True)
class DemoOutcome:
    syncs: list[SyncRunResult]
    sandbox_state: dict[str, Any]
    sends: SendRunResult | None = None  # the due triggered sends sent to the sandbox
    audit: SendAudit | None = None  # the emails that left, against the guardrails
    engagement: EngagementPullResult | None = None  # engagement pulled back after the sends
    report: Path | None = None  # the HTML measurement report
    # each segment list in the sandbox against segment_memberships
    segment_lists: tuple[SegmentListSize, ...] = ()


def run_dbt_with_progress(
    console: Console, warehouse: Path, as_of: datetime, options: tuple[str, ...] = ()
) -> DbtResult:
    """The build, recorded in Dagster (orchestration/recorded_runs.py) even when it fails."""
    recorder = run_recorder(DEMO_COMMAND)
    started = datetime.now(UTC)
    try:
        with console.status("dbt build") as status:
            finished: list[str] = []

            def report(unique_id: str) -> None:
                finished.append(unique_id)
                status.update(f"dbt build: {len(finished)} nodes done, last {unique_id}")

            return run_dbt(
                ["build", *options],
                warehouse,
                dbt_vars={"as_of": str(as_of)},
                quiet=True,
                on_node_finished=report,
            )
    finally:
        if recorder is not None:
            recorder.dbt_build(console, warehouse, started, as_of)


def run_demo(console: Console, warehouse: Path, *, contacts: int, seed: int) -> DemoOutcome:
    history_end = start_of_today_utc()
    console.rule(f"1/5 Generate raw data into {warehouse}")
    run_generate(
        console,
        warehouse,
        contacts=contacts,
        seed=seed,
        end=history_end,
        days=365,
        bad_row_share=0.01,
    )

    # as of now, as a scheduled build runs: the sends due now are the ones that may leave now
    as_of = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    console.rule(f"2/5 dbt build as of {as_of:%Y-%m-%d %H:%M} UTC (now)")
    print_build(console, run_dbt_with_progress(console, warehouse, as_of))
    summary = summarize_warehouse(warehouse)
    console.print(marts_table(summary))
    console.print(raw_rows_table(summary))
    console.print(quarantine_table(summary))
    console.print(triggered_sends_table(summary))

    console.rule("3/5 Sync audiences and send due triggered sends to the local Klaviyo sandbox")
    api_key = sandbox_api_key(warehouse)
    engagement_config = EngagementConfig(seed=seed, time_scale=1 / ENGAGEMENT_SPEEDUP)
    sandbox = start_sandbox(
        api_key=api_key,
        state_path=sandbox_state_path(warehouse),
        engagement=engagement_config,
    )
    try:
        with klaviyo_environment(sandbox.base_url, api_key):
            syncs = run_declared_syncs(
                console, warehouse, name=None, dry_run=False, command=DEMO_COMMAND
            )
            with Warehouse(warehouse) as connection:
                lists = segment_list_sizes(
                    connection,
                    declared_syncs(warehouse),
                    lambda name: len(sandbox.list_members(name)),
                )
            console.print(segment_lists_table(lists))
            sends_started = datetime.now(UTC).replace(tzinfo=None)
            sends = run_triggered_sends(
                console, warehouse, destination="klaviyo", command=DEMO_COMMAND
            ).sends
            with Warehouse(warehouse) as connection:
                audit = audit_sends(connection, sends_started)
            console.print(send_audit_table(audit))

            console.rule("4/5 Measure: engagement back from the sandbox, performance marts")
            if sends and sends.sent:
                wait_for_engagement(console, engagement_config.settled_after())
            engagement = run_pull(console, warehouse, command=DEMO_COMMAND)
        state = sandbox.state()
    finally:
        sandbox.stop()
    measured_at = next_whole_second(datetime.now(UTC).replace(tzinfo=None))
    console.print(
        f"dbt build of the performance marts and what they read, as of {measured_at} UTC"
        " (the sends and the engagement just pulled)"
    )
    print_build(console, run_dbt_with_progress(console, warehouse, measured_at, MEASUREMENT_BUILD))
    console.print(flow_performance_table(warehouse))

    console.rule("5/5 What is in the sandbox now, and the report")
    console.print(sandbox_table(state))
    report = run_report(console, warehouse, default_report_path(warehouse), DEMO_COMMAND)
    console.print(
        Panel.fit(
            f"Open the Dagster UI on this warehouse:  [bold]{dagster_command(warehouse)}[/bold]"
            "  (then http://127.0.0.1:3000)\n"
            f"Query the warehouse:  .venv/bin/nudge query{warehouse_option(warehouse)} "
            '"select rfm_segment, count(*) from contacts.contact_rfm group by 1"\n'
            "Run the demo again: the second sync and send find nothing to send.\n"
            "The flows went live today, so each has a day of sends: lift intervals are wide"
            " until weeks of sends and held-out contacts accumulate.\n"
            f"Open the report:  [bold]{report}[/bold]",
            title="Next",
        )
    )
    console.print(f"Report: {report}")
    return DemoOutcome(syncs, state, sends, audit, engagement, report, tuple(lists))


def segment_lists_table(sizes: list[SegmentListSize]) -> Table:
    """Each segment's Klaviyo list beside segment_memberships: the list holds the members
    who may be emailed (subscribers: valid email, consent, not suppressed)."""
    table = Table(title="Segment lists in Klaviyo against segment_memberships")
    for column in ("segment", "list", "members", "of whom subscribers", "list size", ""):
        table.add_column(column, justify="left" if column in ("segment", "list") else "right")
    for size in sizes:
        table.add_row(
            size.segment_key,
            size.list_name,
            f"{size.members:,}",
            f"{size.emailable:,}",
            f"{size.list_size:,}",
            "=" if size.matches else "DIFFERS",
        )
    return table


def send_audit_table(audit: SendAudit) -> Table:
    """The emails that just left, checked from the ledger against the guardrails."""
    table = Table(title="Emails that left, against the send-time guardrails (from the ledger)")
    table.add_column("")
    table.add_column("emails", justify="right")
    table.add_row("sent", f"{audit.sent:,}")
    table.add_row("sent later than max_send_lateness after due_at", f"{audit.past_lateness:,}")
    table.add_row("sent in quiet hours (contact's local time)", f"{audit.in_quiet_hours:,}")
    table.add_row("sent over an address's frequency caps", f"{audit.over_caps:,}")
    return table


def print_build(console: Console, build: DbtResult) -> None:
    statuses = [result["status"] for result in build.results]
    console.print(
        f"dbt build: {len(statuses)} nodes, "
        + ", ".join(f"{statuses.count(s)} {s}" for s in sorted(set(statuses)))
    )


def wait_for_engagement(console: Console, settled_after: timedelta) -> None:
    """The sandbox stamps each send's engagement at send time + a simulated delay (sped up
    ENGAGEMENT_SPEEDUP times): wait until the last send's opens and clicks have happened."""
    console.print(
        f"The sandbox simulates engagement {ENGAGEMENT_SPEEDUP:,}x faster than real time;"
        f" waiting {settled_after.total_seconds():.1f} s for the sends' opens and clicks"
    )
    time.sleep(settled_after.total_seconds())


def next_whole_second(instant: datetime) -> datetime:
    whole = instant.replace(microsecond=0)
    return whole if whole == instant else whole + timedelta(seconds=1)


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
