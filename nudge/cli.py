"""The `nudge` command line."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from nudge.clock import parse_instant, start_of_today_utc
from nudge.errors import NudgeGroup, UserError
from nudge.paths import PROJECT_ROOT, warehouse_path
from nudge.tabular_output import OutputFormat

app = typer.Typer(
    cls=NudgeGroup,  # known errors: a one-line message and an exit code (nudge/errors.py)
    help="Nudge: warehouse-native behavioral email marketing.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()

WarehouseOption = Annotated[
    Path | None,
    typer.Option(
        help="DuckDB warehouse file (default: $NUDGE_WAREHOUSE or warehouse/nudge.duckdb)."
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(help="Replay as of this UTC instant, 'YYYY-MM-DD[ HH:MM:SS]' (default: now)."),
]


@app.callback()
def main(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an error, not one line.")
    ] = False,
) -> None:
    pass  # --debug is read by NudgeGroup (nudge/errors.py)


def _warehouse(option: Path | None) -> Path:
    return option.resolve() if option else warehouse_path()


def _instant(text: str, option: str) -> datetime:
    try:
        return parse_instant(text)
    except ValueError as error:
        raise UserError(f"{option}: {error}") from error


@app.command()
def generate(
    contacts: Annotated[int, typer.Option(min=1, help="Number of customers.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same data.")] = 42,
    end: Annotated[
        str | None, typer.Option(help="Last instant of history, UTC (default: today 00:00).")
    ] = None,
    days: Annotated[int, typer.Option(min=1, help="Days of history.")] = 365,
    bad_row_share: Annotated[
        float, typer.Option(min=0.0, max=0.5, help="Share of broken raw rows to inject.")
    ] = 0.01,
    warehouse: WarehouseOption = None,
) -> None:
    """Write a believable store's raw events, identifies and catalog into the warehouse."""
    from nudge.generate_command import run_generate

    run_generate(
        console,
        _warehouse(warehouse),
        contacts=contacts,
        seed=seed,
        end=_instant(end, "--end") if end else start_of_today_utc(),
        days=days,
        bad_row_share=bad_row_share,
    )


@app.command()
def build(
    as_of: AsOfOption = None,
    into: Annotated[
        Path | None,
        typer.Option(
            help="Replay file for a past --as-of (default: replays/<name>_as_of_<instant>"
            ".duckdb beside the warehouse)."
        ),
    ] = None,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", help="dbt's own log, not a progress line (shown on failure)."),
    ] = False,
    warehouse: WarehouseOption = None,
) -> None:
    """Run `dbt build` (models, seeds, tests) on the warehouse; a past --as-of (a replay)
    builds a copy of it instead, never the live warehouse."""
    from nudge.build_command import run_build

    instant = _instant(as_of, "--as-of") if as_of else None
    run_build(console, _warehouse(warehouse), instant, into, verbose=verbose)


@app.command()
def sync(
    name: Annotated[
        str | None,
        typer.Argument(
            help="One declared sync, or 'triggered_sends' for the sends only; default: all."
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Plan adds/updates/removes/sends; call no API.")
    ] = False,
    trigger: Annotated[
        str | None, typer.Option(help="Only this trigger_key's sends (no audience syncs).")
    ] = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Sync declared audiences and send due triggered sends (keys and URLs from the
    environment)."""
    from activation.errors import ActivationError
    from nudge.sends_command import TRIGGERED_SENDS, run_triggered_sends
    from nudge.sync_command import run_declared_syncs
    from nudge.trigger_keys import require_known_trigger

    sends_only = name == TRIGGERED_SENDS or trigger is not None
    if trigger is not None and name not in (None, TRIGGERED_SENDS):
        console.print(f"[red]--trigger selects sends; use it alone or with {TRIGGERED_SENDS}.")
        raise typer.Exit(2)
    path = _warehouse(warehouse)
    if trigger is not None:
        require_known_trigger(path, trigger)
    try:
        results = (
            [] if sends_only else run_declared_syncs(console, path, name=name, dry_run=dry_run)
        )
        sends = None
        if name is None or sends_only:
            outcome = run_triggered_sends(
                console, path, trigger_key=trigger, dry_run=dry_run, required=sends_only
            )
            sends = outcome.sends
    except ActivationError as exc:
        console.print(f"[red]{type(exc).__name__}:[/red] {exc}")
        raise typer.Exit(2) from None
    if any(result.status in ("partial", "error") for result in results):
        raise typer.Exit(1)
    if sends is not None and sends.status in ("partial", "unavailable", "error"):
        raise typer.Exit(1)


@app.command()
def pull(warehouse: WarehouseOption = None) -> None:
    """Pull email engagement (delivered, opened, clicked, bounced, unsubscribed, spam) from
    the sends' ESP into raw.events, since the last pull; a rerun adds nothing."""
    from nudge.report.commands import run_pull

    run_pull(console, _warehouse(warehouse))


@app.command()
def report(
    output: Annotated[
        Path | None, typer.Option(help="HTML file (default: report.html beside the warehouse).")
    ] = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Write the measurement report (RFM grid, segments, funnels, lift, benchmarks) as one
    static HTML file."""
    from nudge.report.commands import run_report

    run_report(console, _warehouse(warehouse), output)


@app.command()
def erase(
    email: Annotated[str, typer.Option("--email", help="The person's email address.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what it would erase; change nothing.")
    ] = False,
    keep_raw: Annotated[
        bool,
        typer.Option(
            "--keep-raw",
            help="The raw tables belong to a collector: leave them and print the SQL their"
            " owner must run (also NUDGE_RAW_TABLES_OWNED=false).",
        ),
    ] = False,
    warehouse: WarehouseOption = None,
) -> None:
    """GDPR erasure: delete the person at every destination it was synced or sent to and
    from the warehouse's raw and model tables, pseudonymize the send ledger, and keep a
    tombstone so no later sync or send reaches them (keys from the environment)."""
    from activation.runs import destination_settings
    from nudge.erase_command import erase_with_progress, summary_table

    erasure = erase_with_progress(
        _warehouse(warehouse),
        email,
        destination_settings,
        console,
        dry_run=dry_run,
        keep_raw=True if keep_raw else None,
    )
    console.print(summary_table(erasure))
    for statement in erasure.owner_sql:
        console.print(statement, markup=False, highlight=False, soft_wrap=True)
    if not erasure.complete:
        raise typer.Exit(1)


@app.command()
def export(
    email: Annotated[str, typer.Option("--email", help="The person's email address.")],
    output: Annotated[
        Path | None, typer.Option(help="Write the JSON here (default: standard output).")
    ] = None,
    warehouse: WarehouseOption = None,
) -> None:
    """GDPR access request: one JSON document of everything the warehouse holds on the
    person (raw rows, profile, RFM, segments, triggered sends, ledger, sync state, ESP
    suppressions); no ESP is called."""
    from nudge.export_command import export_person

    document = export_person(_warehouse(warehouse), email)
    if output is None:
        typer.echo(document)
    else:
        output.write_text(document + "\n", encoding="utf-8")
        console.print(f"Wrote {output}", markup=False, highlight=False)


def _sandbox_destination(destination: str) -> str:
    from nudge.sandbox_command import unknown_destination_problem

    problem = unknown_destination_problem(destination)
    if problem is not None:
        raise typer.BadParameter(problem)
    return destination


@app.command()
def sandbox(
    destination: Annotated[
        str,
        typer.Option(
            callback=_sandbox_destination,
            help="The destination whose sandbox to serve (any registered one with a sandbox).",
        ),
    ] = "klaviyo",
    port: Annotated[
        int | None, typer.Option(help="Loopback port (default: the destination's own).")
    ] = None,
    state: Annotated[
        Path | None,
        typer.Option(help="Klaviyo only: SQLite file that keeps state across restarts."),
    ] = None,
    engagement_seed: Annotated[
        int | None,
        typer.Option(
            help="Klaviyo only: seed of the simulated opens, clicks, bounces, unsubscribes "
            "(default 0)."
        ),
    ] = None,
    no_engagement: Annotated[
        bool,
        typer.Option("--no-engagement", help="Klaviyo only: simulate no engagement."),
    ] = False,
    rate_limit_scale: Annotated[
        float | None,
        typer.Option(
            min=0.0, help="Klaviyo only: multiply its per-endpoint limits (0: none; default 1)."
        ),
    ] = None,
) -> None:
    """Serve a destination's local sandbox on 127.0.0.1, accepting the credentials its
    client reads from the environment, and print what to export to point the client at it.
    Klaviyo's has Klaviyo's rate limits and simulated engagement for tracked events."""
    from nudge.sandbox_command import KlaviyoOptions, serve_sandbox

    klaviyo = KlaviyoOptions(state, engagement_seed, no_engagement, rate_limit_scale)
    serve_sandbox(console, destination, port, klaviyo)


@app.command()
def demo(
    contacts: Annotated[int, typer.Option(min=1, help="Number of customers.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 42,
    warehouse: WarehouseOption = None,
) -> None:
    """Generate data, build the models, sync to the local Klaviyo sandbox, print a summary."""
    from nudge.demo import run_demo

    run_demo(console, _warehouse(warehouse), contacts=contacts, seed=seed)


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="A SQL query, e.g. 'from contacts.contact_rfm'.")],
    limit: Annotated[int, typer.Option(min=1, help="Most rows to print.")] = 50,
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format", help="table for people (wide ones wrap), csv or json for programs."
        ),
    ] = OutputFormat.table,
    warehouse: WarehouseOption = None,
) -> None:
    """Run a read-only SQL query on the warehouse and print the result."""
    from nudge.query_command import print_query

    print_query(console, _warehouse(warehouse), sql, limit=limit, output=output_format)


@app.command()
def segments(
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="table for people, csv or json for programs.")
    ] = OutputFormat.table,
    warehouse: WarehouseOption = None,
) -> None:
    """Every segment: its definition, members, change over the last week, where it is synced."""
    from nudge.segments_command import print_segments

    print_segments(console, _warehouse(warehouse), output_format)


@app.command()
def predict(
    as_of: AsOfOption = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Fit churn, expected orders and CLV per customer (BG/NBD, Gamma-Gamma) on the order
    history, store them in predictions.contact_predictions and print the backtest."""
    from nudge.predict_command import predict as run_predict

    run_predict(console, _warehouse(warehouse), _instant(as_of, "--as-of") if as_of else None)


@app.command()
def dagster(
    port: Annotated[int, typer.Option(help="Port of the Dagster UI.")] = 3000,
    warehouse: WarehouseOption = None,
) -> None:
    """Open the Dagster UI on the same warehouse (`dagster dev`); Ctrl-C or SIGTERM stops
    all of its processes."""
    from nudge.process_group import run_process_group

    env = {**os.environ, "NUDGE_WAREHOUSE": str(_warehouse(warehouse))}
    # a module run, not an import: the CLI package depends on no orchestrator
    command = [sys.executable, "-m", "orchestration.dev_server", "--port", str(port)]
    raise typer.Exit(run_process_group(command, cwd=PROJECT_ROOT, env=env))


if __name__ == "__main__":
    app()
