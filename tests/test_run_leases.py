"""One send run at a time, one run of a sync per account (activation/leases.py). On
PostgreSQL or Snowflake a `nudge send` from a terminal can start while Dagster's runs: two
send runs would each judge the frequency caps without the other's sends, and both take the
other's 'pending' rows for interrupted ones. A run that finds the lease held does nothing
and says who holds it; a dry run writes nothing and goes ahead; a run whose lease lapsed
while it stalled, and was taken over, stops before its next batch; a failed run gives the
lease back. tests/test_warehouse_state.py checks the lease itself on every engine."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from activation import leases
from activation.destinations.klaviyo.sandbox import start_sandbox
from activation.errors import ActivationError
from activation.sends import run_sends
from activation.state import utcnow
from activation.sync import run_sync
from activation.warehouse import Warehouse
from tests.sends_helpers import (
    API_KEY,
    AS_OF,
    FakeClock,
    RecordingDestination,
    cli_sandbox,
    ledger,
    make_warehouse,
    nudge,
    profile_row,
    send_row,
    settings,
)
from tests.test_sync_holds_back import make_warehouse as make_audience
from tests.test_sync_under_faults import LIST_NAME, declaration

KLAVIYO = settings("http://127.0.0.1:9")  # never called: the RecordingDestination is
CONTACTS = ("c-1", "c-2", "c-3")


def sends_store(tmp_path: Path) -> Path:
    return make_warehouse(
        tmp_path / "w.duckdb",
        [send_row(c) for c in CONTACTS],
        [profile_row(c) for c in CONTACTS],
    )


def test_a_send_run_while_another_holds_the_lease_sends_and_records_nothing(
    tmp_path: Path,
) -> None:
    path = sends_store(tmp_path)
    esp = RecordingDestination(FakeClock(AS_OF))
    with Warehouse(path) as warehouse:
        with leases.hold(warehouse, leases.SENDS, "other-run", esp.clock):
            with pytest.raises(leases.LeaseHeld, match=r"run other-run on .* lapses at"):
                run_sends(warehouse, KLAVIYO, destination=esp, clock=esp.clock)
            planned = run_sends(warehouse, KLAVIYO, destination=esp, clock=esp.clock, dry_run=True)
        assert esp.deliveries == []
        assert warehouse.fetchall("select count(*) from activation.send_ledger") == [(0,)]
        assert planned.to_send == len(CONTACTS)  # a dry run does not wait
        result = run_sends(warehouse, KLAVIYO, destination=esp, clock=esp.clock)
    assert result.sent == len(CONTACTS)


def test_a_run_whose_lease_lapsed_and_was_taken_over_stops_before_its_next_batch(
    tmp_path: Path,
) -> None:
    path = sends_store(tmp_path)
    with Warehouse(path) as warehouse:

        class StallsInTheFirstCall(RecordingDestination):
            def track_events(self, records: Any) -> Any:
                if self.calls == 0:  # the call hangs past the lease; the next run starts
                    self.clock.advance(leases.LEASE_TTL * 2)
                    self.next_run = leases.hold(warehouse, leases.SENDS, "next-run", self.clock)
                    self.next_run.__enter__()  # held by the next run from now on
                return super().track_events(records)

        esp = StallsInTheFirstCall(FakeClock(AS_OF))
        with pytest.raises(ActivationError, match="another run took it"):
            run_sends(warehouse, KLAVIYO, destination=esp, clock=esp.clock, batch_rows=1)

        holders = warehouse.fetchall(f"select holder from {leases.LEASES_TABLE}")
    assert holders == [("next-run",)]
    assert esp.deliveries == [send_row("c-1")["send_key"]]
    assert {key: row[0] for key, row in ledger(path).items()} == {
        send_row("c-1")["send_key"]: "sent"
    }


def test_a_failed_send_run_gives_the_lease_back(tmp_path: Path) -> None:
    path = sends_store(tmp_path)

    class Broken(RecordingDestination):
        def track_events(self, records: Any) -> Any:
            raise RuntimeError("the client blew up")

    with Warehouse(path) as warehouse:
        with pytest.raises(ActivationError, match="blew up"):
            run_sends(warehouse, KLAVIYO, destination=Broken(FakeClock(AS_OF)), clock=utcnow)
        assert warehouse.fetchall(f"select count(*) from {leases.LEASES_TABLE}") == [(0,)]


def test_a_sync_while_another_run_of_it_holds_the_lease_does_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_audience(tmp_path / "w.duckdb")
    sync = declaration(5)
    with start_sandbox(API_KEY) as sandbox, Warehouse(path) as warehouse:
        monkeypatch.setattr("activation.sync.open_warehouse", lambda path: nullcontext(warehouse))
        klaviyo = settings(sandbox.base_url)
        lease = leases.sync_lease(sync.name, klaviyo.target)
        with leases.hold(warehouse, lease, "other-run", utcnow):
            with pytest.raises(leases.LeaseHeld, match=f"the {lease} lease"):
                run_sync(sync, path, klaviyo)
            assert run_sync(sync, path, klaviyo, dry_run=True).added == 10
            assert sandbox.requests() == []
            runs = warehouse.fetchall("select count(*) from activation.sync_runs")
        result = run_sync(sync, path, klaviyo)
        members = sandbox.list_members(LIST_NAME)

    assert runs == [(0,)]
    assert (result.added, len(members)) == (10, 10)


def test_nudge_sync_triggered_sends_names_the_run_holding_the_lease_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = sends_store(tmp_path)
    with Warehouse(path) as warehouse:  # a run in another process, still sending
        now = utcnow()
        warehouse.ensure_table(leases.LEASES)
        warehouse.insert_rows(
            leases.LEASES_TABLE,
            leases.LEASES.column_names,
            [(leases.SENDS, "dagster-run-7", "worker-2", 81, now, now + leases.LEASE_TTL)],
        )

    with cli_sandbox(monkeypatch) as sandbox:
        code, out = nudge("sync", "triggered_sends", "--warehouse", str(path))
        writes = [r for r in sandbox.requests() if r["method"] != "GET"]  # reads: read-back

    assert code == 2, out
    assert writes == []
    assert "LeaseHeld" in out and "dagster-run-7" in out and "lapses at" in out


def a_lease(path: Path, host: str, pid: int) -> None:
    """A lease another run took 1 minute ago, on ``host`` in process ``pid``."""
    now = utcnow()
    with Warehouse(path) as warehouse:
        warehouse.ensure_table(leases.LEASES)
        warehouse.execute(f"delete from {leases.LEASES_TABLE}")
        warehouse.insert_rows(
            leases.LEASES_TABLE,
            leases.LEASES.column_names,
            [
                (
                    leases.SENDS,
                    "killed-run",
                    host,
                    pid,
                    now - timedelta(minutes=1),
                    now + leases.LEASE_TTL,
                )
            ],
        )


def test_the_lease_of_a_killed_run_on_this_host_is_taken_over_at_once(tmp_path: Path) -> None:
    path = sends_store(tmp_path)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process that existed and is no more, as a run killed with SIGKILL
    esp = RecordingDestination(FakeClock(AS_OF))

    for host, pid in (("another-host", gone.pid), (leases.this_host(), os.getpid())):
        a_lease(path, host, pid)  # elsewhere, or this host's live process: held
        with Warehouse(path) as warehouse, pytest.raises(leases.LeaseHeld):
            run_sends(warehouse, KLAVIYO, destination=esp, clock=utcnow)
    a_lease(path, leases.this_host(), gone.pid)
    with Warehouse(path) as warehouse:
        result = run_sends(warehouse, KLAVIYO, destination=esp, clock=utcnow)

    assert result.sent == len(CONTACTS)
