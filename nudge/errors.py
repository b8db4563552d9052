"""What a user sees when a `nudge` command fails for a known reason: one line saying what
went wrong and what to do, an exit code, no traceback (`nudge --debug <command>` keeps the
traceback). Every command runs inside ``NudgeGroup``, so this is the one place that maps
errors to messages; an error it does not know (a bug) keeps its traceback, to report.

Exit codes: 1 when the work ran and failed (a dbt node, an address Nudge does not hold), 2
when the command refused to run as asked (bad input, a missing warehouse, a locked file, a
setting).
"""

from __future__ import annotations

import re
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

# DuckDB: 'IO Error: Could not set lock on file "<path>": Conflicting lock is held in
# <program> (PID <n>) ...'
_LOCK = re.compile(
    r'Could not set lock on file "(?P<path>[^"]+)":.*?held in (?P<program>\S+)'
    r"(?: \(PID (?P<pid>\d+)\))?",
    re.DOTALL,
)


class UserError(Exception):
    """A failure the user can act on; the message says how, in one line."""

    exit_code = 2


def lock_message(text: str) -> str | None:
    """The one-line message for DuckDB's 'Could not set lock' in ``text``, else None."""
    match = _LOCK.search(text)
    if match is None:
        return None
    program = match["program"].rsplit("/", 1)[-1]
    holder = f"{program}, PID {match['pid']}" if match["pid"] else program
    return (
        f"{match['path']} is locked by another process ({holder}): another nudge command, a "
        "dbt build or a Dagster run is using it, and DuckDB lets one process write a file at "
        "a time. Retry when it has finished."
    )


def describe(error: BaseException) -> tuple[str, int, bool] | None:
    """(message, exit code, whether the message is plain text) for a known error; None for
    anything else."""
    from activation.errors import ActivationError
    from activation.personal_data import UnknownAddress
    from activation.warehouse import WAREHOUSE_ERRORS, WarehouseBusyError
    from nudge.dbt_runner import DbtCommandError
    from nudge.replay import ReplayRefused

    if isinstance(error, (*WAREHOUSE_ERRORS, WarehouseBusyError, DbtCommandError)):
        # the interface's WarehouseBusyError carries DuckDB's own text (who holds the file)
        # as its cause
        locked = lock_message(str(error)) or lock_message(str(error.__cause__ or ""))
        if locked is not None:
            return locked, 2, True
    if isinstance(error, UserError):
        return str(error), error.exit_code, True
    if isinstance(error, UnknownAddress):
        return str(error), 1, True
    if isinstance(error, ReplayRefused | ActivationError):
        return f"[red]{type(error).__name__}:[/red] {escape(str(error))}", 2, False
    if isinstance(error, DbtCommandError):
        return error.summary(), 1, True
    return None


class NudgeGroup(TyperGroup):
    """The `nudge` command group: a known error ends the command with its one-line message
    on standard error and its exit code, unless --debug was given."""

    def invoke(self, ctx: Any) -> Any:  # typer's own click Context (typer._click, private)
        try:
            return super().invoke(ctx)
        except Exception as error:  # typer's Exit, Abort and usage errors are not known here
            known = None if ctx.params.get("debug") else describe(error)
            if known is None:
                raise
            message, code, plain = known
            Console(stderr=True).print(message, markup=not plain, highlight=False, soft_wrap=True)
            raise typer.Exit(code) from None
