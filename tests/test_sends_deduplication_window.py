"""A destination that de-duplicates events only for a while (Braze's transactional sends:
``external_send_id``, 24 h) gets an interrupted send again only while the send's first
attempt (the ledger's ``first_attempt_at``) is inside that window; beyond it the send is
given up ('failed', outcome_unknown, with why), never re-sent: the destination would no
longer know it and could deliver it twice. A destination de-duplicating for good (no
window) still re-sends, however late."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from activation.destinations.braze.sandbox import start_braze
from activation.destinations.braze.settings import braze_settings
from activation.errors import ActivationError
from activation.sandbox.framework import SandboxHandle
from activation.sends import run_sends
from activation.sends.ledger import LEDGER, LEDGER_TABLE, ensure_ledger
from activation.sends.runner import AFTER_CALL
from activation.settings import DestinationSettings, RetryPolicy
from activation.warehouse import Warehouse
from activation.warehouse.tables import Table
from tests.sends_helpers import (
    LOOSE_POLICY,
    METRIC,
    FakeClock,
    RecordingDestination,
    make_warehouse,
    profile_row,
    send_row,
    settings,
    sql,
)

KEY = "dedup-window-key-5e1a"
DUE = datetime(2027, 3, 2, 12, 0)
FIRST_ATTEMPT = DUE + timedelta(minutes=5)
# late sends allowed for two days, so only the window stops a send a day late
LATE_OK = {**LOOSE_POLICY, "max_send_lateness_hours": 48}
NIGHTS = {**LATE_OK, "quiet_hours_start": 21, "quiet_hours_end": 8}
WINDOW = timedelta(hours=24)
KLAVIYO_SETTINGS = settings("http://127.0.0.1:9")  # never called: RecordingDestination is


class Crash(Exception):
    pass


def crash_after_the_call(name: str) -> None:
    if name == AFTER_CALL:
        raise Crash("killed after the ESP call, before the ledger write")


@contextmanager
def braze_with_campaigns() -> Iterator[tuple[SandboxHandle, DestinationSettings]]:
    with start_braze(KEY, campaigns=("cmp-cart",)) as server:
        env = {
            "BRAZE_BASE_URL": server.base_url,
            "BRAZE_API_KEY": KEY,
            "BRAZE_TRANSACTIONAL_CAMPAIGNS": f"{METRIC}=cmp-cart",
        }
        retry = RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_max=0.02)
        yield server, braze_settings(env, retry=retry)


def transactional_requests(server: SandboxHandle) -> list[str]:
    return [
        r["body"]["external_send_id"] for r in server.requests() if "/transactional/" in r["path"]
    ]


def warehouse(tmp_path: Path, contacts: tuple[str, ...], policy: dict[str, int]) -> Path:
    rows = [send_row(c, due=DUE) for c in contacts]
    return make_warehouse(
        tmp_path / "w.duckdb", rows, [profile_row(c) for c in contacts], policy=policy
    )


def ledger_row(wh: Path, contact: str) -> tuple[object, ...]:
    """(status, status_reason, last_error, first_attempt_at) of the contact's send."""
    rows = sql(
        wh,
        "select status, status_reason, last_error, first_attempt_at"
        " from activation.send_ledger where send_key = ?",
        [send_row(contact)["send_key"]],
    )
    return rows[0]


@pytest.mark.parametrize(("later", "resent"), [(timedelta(hours=23), True), (WINDOW, False)])
def test_braze_re_sends_an_interrupted_send_only_inside_its_24_h_window(
    tmp_path: Path, later: timedelta, resent: bool
) -> None:
    wh = warehouse(tmp_path, ("c-00",), LATE_OK)
    key = send_row("c-00")["send_key"]
    clock = FakeClock(FIRST_ATTEMPT)
    with braze_with_campaigns() as (server, settings):
        with pytest.raises(ActivationError, match="killed after the ESP call"):
            run_sends(wh, settings, clock=clock, checkpoint=crash_after_the_call)
        assert ledger_row(wh, "c-00")[0] == "pending"
        assert transactional_requests(server) == [key]

        clock.advance(later)
        result = run_sends(wh, settings, clock=clock)

        status, reason, error, first = ledger_row(wh, "c-00")
        assert first == FIRST_ATTEMPT
        if resent:
            assert (result.sent, result.resent, result.failed) == (1, 1, 0)
            assert transactional_requests(server) == [key, key]
            assert (status, reason) == ("sent", None)
        else:
            assert (result.sent, result.failed) == (0, 1)
            assert transactional_requests(server) == [key]  # not asked again
            assert (status, reason) == ("failed", "outcome_unknown")
            assert "more than 24 h ago" in str(error)
            assert "de-duplicates events" in str(error)
            assert run_sends(wh, settings, clock=clock).sent == 0  # never retried


def test_the_window_counts_from_the_first_attempt_through_a_deferral(tmp_path: Path) -> None:
    """Interrupted at 12:05; the next run, at 22:05, is in quiet hours: deferred until 08:00
    (the 'pending' mark gone). The morning runs do not happen (an orchestrator outage) until
    13:05, 25 h after the first attempt: Braze would no longer know it, so it is given up,
    not sent as if never attempted."""
    wh = warehouse(tmp_path, ("c-00",), NIGHTS)
    key = send_row("c-00")["send_key"]
    clock = FakeClock(FIRST_ATTEMPT)
    with braze_with_campaigns() as (server, settings):
        with pytest.raises(ActivationError):
            run_sends(wh, settings, clock=clock, checkpoint=crash_after_the_call)

        clock.advance(timedelta(hours=10))  # 22:05, in quiet hours (21-8, UTC)
        night = run_sends(wh, settings, clock=clock)
        assert (night.deferred, ledger_row(wh, "c-00")[0]) == (1, "deferred")
        clock.advance(timedelta(hours=15))  # 13:05 the day after
        late = run_sends(wh, settings, clock=clock)

        assert (late.sent, late.failed) == (0, 1)
        assert transactional_requests(server) == [key]
        assert ledger_row(wh, "c-00")[:2] == ("failed", "outcome_unknown")


def test_a_re_send_inside_the_window_does_not_restart_it(tmp_path: Path) -> None:
    """Re-sent 10 h after the first attempt and interrupted again: the window still counts
    from the first attempt, so 25 h after it the send is given up."""
    wh = warehouse(tmp_path, ("c-00",), LATE_OK)
    clock = FakeClock(FIRST_ATTEMPT)
    esp = RecordingDestination(clock, deduplication_window=WINDOW)
    with pytest.raises(ActivationError):
        run_sends(
            wh, KLAVIYO_SETTINGS, destination=esp, clock=clock, checkpoint=crash_after_the_call
        )  # type: ignore[arg-type]
    clock.advance(timedelta(hours=10))
    with pytest.raises(ActivationError):
        run_sends(
            wh, KLAVIYO_SETTINGS, destination=esp, clock=clock, checkpoint=crash_after_the_call
        )  # type: ignore[arg-type]
    assert ledger_row(wh, "c-00")[0] == "pending"

    clock.advance(timedelta(hours=15))
    result = run_sends(wh, KLAVIYO_SETTINGS, destination=esp, clock=clock)  # type: ignore[arg-type]

    assert (result.sent, result.failed, esp.calls) == (0, 1, 2)
    assert ledger_row(wh, "c-00")[1] == "outcome_unknown"
    # given up at the runner's clock, as every other ledger write
    updated = sql(wh, "select updated_at from activation.send_ledger")
    assert updated == [(clock.now,)]


def test_the_last_look_gives_up_a_send_whose_window_closed_during_the_run(
    tmp_path: Path,
) -> None:
    """Both sends were interrupted at 12:05; the run starts one minute inside the window and
    each call takes two minutes: c-00 leaves, c-01's window has closed by its call."""
    wh = warehouse(tmp_path, ("c-00", "c-01"), LATE_OK)
    clock = FakeClock(FIRST_ATTEMPT)
    esp = RecordingDestination(clock, call_time=timedelta(minutes=2), deduplication_window=WINDOW)
    with pytest.raises(ActivationError):
        run_sends(
            wh, KLAVIYO_SETTINGS, destination=esp, clock=clock, checkpoint=crash_after_the_call
        )  # type: ignore[arg-type]
    assert [ledger_row(wh, c)[0] for c in ("c-00", "c-01")] == ["pending", "pending"]
    clock.now = FIRST_ATTEMPT + WINDOW - timedelta(minutes=1)

    result = run_sends(wh, KLAVIYO_SETTINGS, destination=esp, clock=clock)  # type: ignore[arg-type]

    assert (result.sent, result.failed) == (1, 1)
    assert ledger_row(wh, "c-00")[0] == "sent"
    assert ledger_row(wh, "c-01")[:2] == ("failed", "outcome_unknown")


def test_a_destination_without_a_window_re_sends_however_late(tmp_path: Path) -> None:
    wh = warehouse(tmp_path, ("c-00",), LATE_OK)
    clock = FakeClock(FIRST_ATTEMPT)
    esp = RecordingDestination(clock)  # de-duplicates for good, like Klaviyo
    with pytest.raises(ActivationError):
        run_sends(
            wh, KLAVIYO_SETTINGS, destination=esp, clock=clock, checkpoint=crash_after_the_call
        )  # type: ignore[arg-type]

    clock.advance(timedelta(hours=47))
    result = run_sends(wh, KLAVIYO_SETTINGS, destination=esp, clock=clock)  # type: ignore[arg-type]

    assert (result.sent, result.resent, result.failed) == (1, 1, 0)
    assert esp.deliveries == [send_row("c-00")["send_key"]] * 2
    assert ledger_row(wh, "c-00")[0] == "sent"


def test_pending_rows_of_an_older_ledger_get_their_creation_as_first_attempt(
    tmp_path: Path,
) -> None:
    """A ledger written before first_attempt_at existed: its 'pending' rows were attempted no
    earlier than created, so the window counts from then; other rows are left null."""
    old = Table(
        LEDGER.schema,
        LEDGER.name,
        tuple(c for c in LEDGER.columns if c.name != "first_attempt_at"),
        LEDGER.primary_key,
    )
    row = {name: None for name in old.column_names}
    row.update(destination_target="t", contact_id="c", trigger_key="tr", step=1)
    row.update(series_id="s", attempts=0, created_at=DUE, updated_at=DUE + timedelta(hours=3))
    rows = [{**row, "send_key": f"k-{s}", "status": s} for s in ("pending", "sent")]
    with Warehouse(tmp_path / "old.duckdb") as opened:
        opened.ensure_table(old)
        opened.insert_rows(LEDGER_TABLE, old.column_names, [list(r.values()) for r in rows])
        ensure_ledger(opened)
        first = dict(opened.fetchall(f"select send_key, first_attempt_at from {LEDGER_TABLE}"))
    assert first == {"k-pending": DUE, "k-sent": None}
