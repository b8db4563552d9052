"""Run leases, ``activation.run_leases``: one send run at a time per warehouse, one run of a
sync per account. Two send runs at once would each count the frequency caps without the
other's sends and both find the other's 'pending' rows interrupted; two runs of one sync
would both add what the state lacks. On DuckDB a second writer cannot open the file, but
PostgreSQL and Snowflake let a `nudge send` from a terminal run beside Dagster's.

A lease is one row (its name, the run holding it, until when). A run takes it before it
reads what to do and gives it back when it ends, failing or not; while it works it renews
it (``renew``, at least every half lease), and a run that finds it lost (held by another
after it lapsed: the run stalled longer than the lease) stops before its next write. A
lease whose run died is taken over at once by a run on the same host (its process is gone:
a crash, a kill), else once it lapses after ``LEASE_TTL``.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from .errors import ActivationError
from .warehouse import WarehouseConnection
from .warehouse.tables import Table, integer, text, timestamp

log = logging.getLogger(__name__)

LEASES = Table(
    "activation",
    "run_leases",
    (
        text("lease", nullable=False),
        text("holder", nullable=False),  # the run id
        text("holder_host"),  # where the run holding it runs, and its process id
        integer("holder_pid"),
        timestamp("acquired_at", nullable=False),
        timestamp("expires_at", nullable=False),
    ),
    primary_key=("lease",),
)
LEASES_TABLE = LEASES.qualified
LEASE_TTL = timedelta(minutes=10)
SENDS = "sends"


def sync_lease(sync_name: str, target: str) -> str:
    return f"sync {sync_name} at {target}"


class LeaseHeld(ActivationError):
    """Another run holds the lease: this one did nothing."""


class LeaseLost(ActivationError):
    """The lease lapsed while the run stalled and another run took it: this one stops."""


@dataclass
class Lease:
    warehouse: WarehouseConnection
    name: str
    holder: str
    clock: Callable[[], datetime]
    ttl: timedelta
    expires_at: datetime

    def renew(self) -> None:
        """Extend the lease once half of it has passed; LeaseLost if another run holds it."""
        now = self.clock()
        if now < self.expires_at - self.ttl / 2:
            return
        expires_at = now + self.ttl
        self.warehouse.execute(
            f"update {LEASES_TABLE} set expires_at = ? where lease = ? and holder = ?",
            [expires_at, self.name, self.holder],
        )
        if _holder(self.warehouse, self.name) != self.holder:
            raise LeaseLost(
                f"the {self.name} lease lapsed while this run stalled and another run took "
                "it: this run stopped before writing more (what it left 'pending' is "
                "settled by the runs after it)"
            )
        self.expires_at = expires_at


def _holder(warehouse: WarehouseConnection, name: str) -> str | None:
    rows = warehouse.fetchall(f"select holder from {LEASES_TABLE} where lease = ?", [name])
    return str(rows[0][0]) if rows else None


@contextmanager
def hold(
    warehouse: WarehouseConnection,
    name: str,
    holder: str,
    clock: Callable[[], datetime],
    ttl: timedelta = LEASE_TTL,
) -> Iterator[Lease]:
    """Take the lease ``name`` for the run ``holder`` (LeaseHeld when another run holds it,
    still running or not lapsed yet), and give it back on the way out."""
    warehouse.ensure_table(LEASES)
    now = clock()
    _free_if_abandoned(warehouse, name, now)
    warehouse.upsert_rows(
        LEASES_TABLE,
        LEASES.column_names,
        LEASES.primary_key,
        [(name, holder, this_host(), os.getpid(), now, now + ttl)],
        keep_existing=True,
    )
    rows = warehouse.fetchall(
        f"select holder, holder_host, holder_pid, acquired_at, expires_at from {LEASES_TABLE}"
        " where lease = ?",
        [name],
    )
    if not rows or rows[0][0] != holder:
        other, host, pid, since, until = rows[0] if rows else ("?", "?", "?", "?", "?")
        raise LeaseHeld(
            f"another run holds the {name} lease (run {other} on {host}, process {pid}, since"
            f" {since} UTC): nothing was done. If that run died, its lease lapses at {until}"
            " UTC and the next run after that goes ahead"
        )
    try:
        yield Lease(warehouse, name, holder, clock, ttl, now + ttl)
    finally:
        try:
            warehouse.execute(
                f"delete from {LEASES_TABLE} where lease = ? and holder = ?", [name, holder]
            )
        except Exception as exc:  # the run's own error matters more; the lease lapses
            log.warning("could not give back the %s lease (it lapses by itself): %s", name, exc)


def _free_if_abandoned(warehouse: WarehouseConnection, name: str, now: datetime) -> None:
    """Delete the lease if it lapsed, or if its run ran on this host in a process that is
    gone (killed or crashed before giving it back)."""
    warehouse.execute(f"delete from {LEASES_TABLE} where lease = ? and expires_at < ?", [name, now])
    rows = warehouse.fetchall(
        f"select holder, holder_host, holder_pid from {LEASES_TABLE} where lease = ?", [name]
    )
    for holder, host, pid in rows:
        if host == this_host() and pid is not None and not _alive(int(pid)):
            log.info(
                "the %s lease of run %s: its process %s is gone; taken over", name, holder, pid
            )
            warehouse.execute(
                f"delete from {LEASES_TABLE} where lease = ? and holder = ?", [name, holder]
            )


def this_host() -> str:
    """The host name, and on Linux the process id namespace: two containers given one host
    name do not see each other's processes, so neither may judge the other's gone."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return socket.gethostname()
    return f"{socket.gethostname()} ({namespace})"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's
        return True
    return True
