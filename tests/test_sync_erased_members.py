"""A mirror sync removes an erased person still in its list: `nudge erase` writes the
tombstones before it calls the destinations and clears the sync state after, so a run in
between, or an erasure stopped halfway, leaves a member the state calls synced. The next
sync removes it and counts it; later runs hold it back instead of adding it again."""

from __future__ import annotations

from pathlib import Path

import duckdb

from activation.destinations.klaviyo.sandbox import start_sandbox
from activation.state import utcnow
from activation.sync import run_sync
from activation.tombstones import add_tombstones
from activation.warehouse import Warehouse
from nudge.sync_command import results_table
from tests.sends_helpers import API_KEY, settings
from tests.test_sync_holds_back import make_warehouse
from tests.test_sync_under_faults import LIST_NAME, declaration

ERASED = "subscriber.4@example.com"  # c-0000004


def test_an_erased_member_leaves_the_list_and_is_not_added_again(tmp_path: Path) -> None:
    wh = make_warehouse(tmp_path / "w.duckdb")
    sync = declaration(100)
    assert sync.config.mode == "mirror"
    with start_sandbox(API_KEY) as sandbox:
        first = run_sync(sync, wh, settings(sandbox.base_url))
        assert first.added == 10 and ERASED in {m["email"] for m in sandbox.list_members(LIST_NAME)}
        with Warehouse(wh) as warehouse:
            add_tombstones(warehouse, email=ERASED, contact_ids=["c-0000004"], erased_at=utcnow())

        second = run_sync(sync, wh, settings(sandbox.base_url))
        third = run_sync(sync, wh, settings(sandbox.base_url))
        members = {m["email"] for m in sandbox.list_members(LIST_NAME)}

    assert (second.removed, second.removed_erased, second.added) == (1, 1, 0)
    assert (third.removed, third.added, third.held_back_by_reason) == (0, 0, {"erased": 1})
    assert ERASED not in members and len(members) == 9
    with duckdb.connect(str(wh), read_only=True) as con:
        state = con.execute(
            "select status from activation.sync_state where record_key = ?", [ERASED]
        ).fetchall()
    assert state == [("removed",)]
    table = results_table([second], dry_run=False)
    labels = [str(cell) for cell in table.columns[0].cells]
    assert "  of which erased (tombstoned)" in labels
