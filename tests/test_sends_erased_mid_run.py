"""A person erased while a send run is under way gets nothing from the rest of the run. On
PostgreSQL or Snowflake `nudge erase` can commit its tombstones while a long run (a slow or
rate-limiting ESP) is sending; a run that judged every send against the tombstones it read
at its start would email the person, and re-create the profile the erasure is deleting at
the ESP. The runner reads the tombstones again for each batch it judges."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from activation.sends import run_sends
from activation.tombstones import add_tombstones
from activation.warehouse import Warehouse
from tests.sends_helpers import (
    AS_OF,
    FakeClock,
    RecordingDestination,
    email,
    make_warehouse,
    profile_row,
    send_row,
    settings,
)

KLAVIYO = settings("http://127.0.0.1:9")  # never called: the RecordingDestination is
CONTACTS = ("c-1", "c-2")


def test_a_person_erased_during_the_run_is_not_sent_to(tmp_path: Path) -> None:
    wh = make_warehouse(
        tmp_path / "w.duckdb",
        [send_row(c) for c in CONTACTS],
        [profile_row(c) for c in CONTACTS],
    )
    with Warehouse(wh) as warehouse:

        class ErasureDuringTheFirstCall(RecordingDestination):
            def track_events(self, records: Any) -> Any:
                if self.calls == 0:  # `nudge erase --email c-2@…` commits meanwhile
                    add_tombstones(
                        warehouse, email=email("c-2"), contact_ids=["c-2"], erased_at=AS_OF
                    )
                return super().track_events(records)

        esp = ErasureDuringTheFirstCall(FakeClock(AS_OF))
        result = run_sends(warehouse, KLAVIYO, destination=esp, clock=esp.clock, batch_rows=1)

    assert esp.deliveries == [send_row("c-1")["send_key"]]
    assert (result.sent, result.skipped_by_reason) == (1, {"erased": 1})
