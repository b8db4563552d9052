"""`nudge sync` for triggered sends: read what the destination's capabilities say it has
(suppressions, preference changes made in the ESP) back into the warehouse, then send the
due triggered sends (or list them with --dry-run), with a progress bar and a summary by
status."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from activation import runs
from activation.errors import DeclarationError
from activation.sends import ReadbackResult, SendRunResult
from activation.sends.runner import triggered_sends_exists
from activation.warehouse import open_warehouse
from nudge.run_recorders import run_recorder

TRIGGERED_SENDS = "triggered_sends"  # `nudge sync triggered_sends`: only the sends
MAX_PLANNED_SHOWN = 20


@dataclass(frozen=True)
class SendsOutcome:
    readback: ReadbackResult | None
    sends: SendRunResult | None


def run_triggered_sends(
    console: Console,
    warehouse: Path,
    *,
    trigger_key: str | None = None,
    dry_run: bool = False,
    required: bool = False,
    destination: str | None = None,
    command: str = "nudge sync",
) -> SendsOutcome:
    """Read back what the destination has (not on a dry run), then send or plan the due
    sends, in the warehouse of the dbt target (``warehouse``: the DuckDB file). Without
    ``triggers.triggered_sends`` this says so and does nothing, unless ``required``. A run
    that sends is recorded in Dagster as `command`'s (orchestration/recorded_runs.py)."""
    recorder = None if dry_run else run_recorder(command)
    with open_warehouse(warehouse) as connection:
        exists = triggered_sends_exists(connection)
        location = connection.location
    if not exists:
        message = (
            f"{location} has no triggers.triggered_sends yet; build the dbt project first "
            "(nudge build)"
        )
        if required:
            raise DeclarationError([message])
        console.print(f"[dim]No triggered sends: {message}.[/dim]")
        return SendsOutcome(None, None)
    settings = runs.destination_settings(destination or runs.sends_destination())
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    verb = "Planning" if dry_run else "Sending"
    sending = f"{verb} triggered sends → {settings.destination}"
    with Progress(*columns, console=console, transient=True) as progress:
        first = sending if dry_run else read_back_label(settings.destination)
        task = progress.add_task(first, total=None)

        def report(done: int, total: int) -> None:
            progress.update(task, description=sending, completed=done, total=total)

        due = runs.send_due(
            warehouse, settings, dry_run=dry_run, trigger_key=trigger_key, on_progress=report
        )
    sends = due.sends
    readback = due.read_back.suppressions if due.read_back else None
    if due.read_back is not None:
        print_read_back(console, settings.destination, due.read_back)
    console.print(sends_table(sends, readback))
    if dry_run and sends.planned:
        console.print(planned_sends_table(sends))
    summary = sends.unavailable_summary(settings.destination)
    if summary is not None:
        console.print(f"[red]{escape(summary)}", soft_wrap=True)
    if recorder is not None:
        recorder.sends(console, settings.destination, sends, readback)
    return SendsOutcome(readback, sends)


def read_back_label(destination: str) -> str:
    """The progress line while the read-back before the sends runs: what its capabilities
    say is read from the destination (why the rest is not is printed after the run)."""
    read = [
        kind
        for kind, reason in (
            ("suppressions", runs.no_suppressions_reason(destination)),
            ("preferences", runs.no_preferences_reason(destination)),
        )
        if reason is None
    ]
    if not read:
        return f"Nothing to read back from {destination}"
    return f"Reading {' and '.join(read)} back from {destination}"


def print_read_back(console: Console, destination: str, landed: runs.ReadBack) -> None:
    """The preference changes landed, and why a kind of feedback was not read back."""
    if landed.preferences is not None and landed.preferences.landed_events:
        console.print(
            f"{landed.preferences.landed_events} email preference changes made in "
            f"{destination} landed in raw.events"
        )
    for kind, reason in (
        ("suppressions", landed.no_suppressions),
        ("preference changes", landed.no_preferences),
    ):
        if reason is not None:
            console.print(f"[dim]No {kind} read back from {destination}: {escape(reason)}[/dim]")


def sends_table(result: SendRunResult, readback: ReadbackResult | None) -> Table:
    """This run's sends by status, the ledger's totals, and what the read-back landed."""
    scope = f" ({result.trigger_key})" if result.trigger_key else ""
    if result.dry_run:
        title = f"Planned triggered sends{scope} (dry run: no API called)"
    else:
        title = f"Triggered sends{scope}"
    table = Table(title=title, min_width=len(title) + 4)
    table.add_column("")
    table.add_column("this run", justify="right")
    table.add_row("status", result.status)
    would = "would be " if result.dry_run else ""
    rows: list[tuple[str, int]] = [("due (to do)", result.candidates)]
    if result.dry_run:
        rows += [
            ("would send", result.to_send),
            ("would be given up (an earlier attempt may have been delivered)", result.failed),
        ]
    else:
        rows += [
            ("sent", result.sent),
            ("  of which resent after an interrupted run", result.resent),
            ("  of which retried after a failure", result.retried),
            ("failed", result.failed),
            ("left unsent (ESP unavailable; no attempt counted)", result.not_attempted),
        ]
    rows += [(f"{would}skipped (may not be emailed now)", result.skipped)]
    rows += [(f"  {reason}", count) for reason, count in sorted(result.skipped_by_reason.items())]
    rows += [
        (f"{would}expired (too late at the moment of sending)", result.expired),
        (f"{would}deferred (quiet hours in the contact's zone)", result.deferred),
        (f"{would}capped (frequency caps, per address)", result.capped),
    ]
    rows += [(f"  {reason}", count) for reason, count in sorted(result.capped_by_reason.items())]
    if not result.dry_run:
        rows += [
            ("api calls", result.api_calls),
            ("write calls", result.write_calls),
            ("rate limited (429)", result.rate_limited),
            ("sent with strings cut to the ESP's limits", result.truncated),
        ]
    rows += [(f"ledger: {status}", count) for status, count in sorted(result.ledger.items())]
    if readback is not None:
        rows += [
            ("suppressions read back (new)", readback.new),
            ("  landed in raw.events", readback.landed_events),
            ("  matching no contact", readback.unmatched),
        ]
    for label, value in rows:
        table.add_row(label, f"{value:,}")
    if result.next_deferred_until is not None:
        table.add_row(
            "first deferred send may leave at", f"{result.next_deferred_until:%Y-%m-%d %H:%M} UTC"
        )
    return table


def planned_sends_table(result: SendRunResult) -> Table:
    shown = result.planned[:MAX_PLANNED_SHOWN]
    more = result.candidates - len(shown)
    title = "Planned sends" + (f" (first {len(shown)}; {more:,} more)" if more > 0 else "")
    table = Table(title=title)
    for column in ("action", "trigger", "step", "variant", "contact", "due at", "metric", "reason"):
        table.add_column(column)
    for send in shown:
        table.add_row(
            send.action,
            send.trigger_key,
            str(send.step),
            send.variant or "",
            send.contact_id,
            f"{send.due_at:%Y-%m-%d %H:%M}" if send.due_at else "",
            send.metric or "",
            send.reason or "",
        )
    return table
