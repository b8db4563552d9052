"""`nudge erase --email X`: the erasure itself is the service layer's
(activation/runs/erase.py); this prints what it did, with a progress bar over the
destination accounts while it runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console, Group
from rich.progress import Progress
from rich.table import Table

from activation.runs import Erasure, SettingsFor, erase_contact


def erase_with_progress(
    warehouse: Path | None,
    email: str,
    settings_for: SettingsFor,
    console: Console,
    *,
    dry_run: bool,
    keep_raw: bool | None,
) -> Erasure:
    with _destination_progress(console) as on_progress:
        return erase_contact(
            warehouse,
            email,
            settings_for,
            dry_run=dry_run,
            keep_raw=keep_raw,
            on_progress=on_progress,
        )


@contextmanager
def _destination_progress(console: Console) -> Iterator[Callable[[int, int], None]]:
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Erasing at destinations", total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)


def summary_table(erasure: Erasure) -> Group:
    dry = erasure.dry_run

    def did(what: str, verb: str, past: str) -> str:
        return f"{what} to {verb}" if dry else f"{what} {past}"

    table = Table(title="Erasure (dry run: nothing changed)" if dry else "Erasure")
    table.add_column("")
    table.add_column("")
    table.add_row("pseudonym", erasure.pseudonym or "(not computed)")
    if erasure.already_erased:
        table.add_row("already erased", "yes: an earlier erasure left its tombstone")
    table.add_row("addresses", _addresses(erasure))
    table.add_row("destination accounts", "\n".join(erasure.targets) or "none")
    if not dry:
        table.add_row("erased at", "\n".join(erasure.erased) or "none")
        for target, why in erasure.failed.items():
            table.add_row("[red]not erased[/red]", f"{target}: {why}")
    table.add_row(
        did("new tombstones", "write", "written"),
        f"{erasure.tombstones} (covering {_count(1 + erasure.other_addresses, 'address')}"
        f" and {_count(len(erasure.contact_ids), 'contact id')})",
    )
    table.add_row(did("sync state rows", "delete", "deleted"), f"{erasure.state_rows_deleted:,}")
    table.add_row(
        did("ledger rows", "pseudonymize", "pseudonymized"),
        f"{erasure.ledger_rows_pseudonymized:,}",
    )
    table.add_row(
        did("suppressions", "pseudonymize", "pseudonymized"),
        f"{erasure.suppressions_pseudonymized:,}",
    )
    total = sum(erasure.rows_deleted.values())
    table.add_row(did("warehouse rows", "delete", "deleted"), f"{total:,} (per table below)")
    if erasure.raw_kept:
        table.add_row(
            "[yellow]raw tables kept[/yellow]",
            "owned by a collector: the statements below delete the rows there and in their"
            " staging mirrors; run them together, in one transaction",
        )
    return Group(table, _rows_table(erasure))


def _count(count: int, noun: str) -> str:
    plural = noun + ("es" if noun.endswith("s") else "s")
    return f"{count} {noun if count == 1 else plural}"


def _addresses(erasure: Erasure) -> str:
    """The one asked for, the person's other ones (an email changed since a sync) and the
    ones another contact uses too, by count: the others are not printed."""
    text = "the one asked for"
    if erasure.other_addresses:
        text += f" and {_count(erasure.other_addresses, 'other address')} of its contact ids"
    if erasure.shared_addresses:
        text += (
            f"; {_count(erasure.shared_addresses, 'address')} of its contact ids that another"
            " contact uses too left alone"
        )
    return text


def _rows_table(erasure: Erasure) -> Table:
    table = Table(title="Rows to delete" if erasure.dry_run else "Rows deleted")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for relation, count in erasure.rows_deleted.items():
        table.add_row(relation, f"{count:,}")
    for relation, count in erasure.rows_left.items():
        table.add_row(f"{relation} [yellow](left to its owner)[/yellow]", f"{count:,}")
    return table
