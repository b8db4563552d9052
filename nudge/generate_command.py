"""`nudge generate`: the generator with a progress bar and a summary table."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from nudge.generator import GenerationResult, generate


def run_generate(
    console: Console,
    warehouse: Path,
    *,
    contacts: int,
    seed: int,
    end: datetime,
    days: int,
    bad_row_share: float,
) -> GenerationResult:
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task("Generating contacts", total=contacts)
        result = generate(
            warehouse,
            contacts=contacts,
            seed=seed,
            end=end,
            days=days,
            bad_row_share=bad_row_share,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    console.print(generation_table(result))
    return result


def generation_table(result: GenerationResult) -> Table:
    table = Table(
        title=f"Raw data: {result.contacts:,} contacts, seed {result.seed}, "
        f"history to {result.end:%Y-%m-%d %H:%M} UTC ({result.elapsed_seconds:.1f} s)"
    )
    table.add_column("raw table")
    table.add_column("rows", justify="right")
    table.add_column("broken rows injected", justify="right")
    table.add_column("re-deliveries", justify="right")
    for name, rows in result.rows.items():
        broken = sum(n for (table_name, _), n in result.bad_rows.items() if table_name == name)
        table.add_row(
            f"raw.{name}", f"{rows:,}", f"{broken:,}", f"{result.duplicates.get(name, 0):,}"
        )
    return table
