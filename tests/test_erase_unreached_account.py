"""An erasure that could not reach one account leaves the person in that account's list
until a rerun erases them there, and a list is an audience the ESP's own campaigns and
flows email. So `nudge erase` keeps the sync state rows of an account it did not reach (and
only those): the mirror sync there still knows the person is a member and removes them,
as it removes any erased member; the rerun deletes those rows with the person."""

from __future__ import annotations

from pathlib import Path

import duckdb

from activation.destinations.klaviyo.sandbox import start_sandbox
from activation.destinations.klaviyo.settings import klaviyo_settings
from activation.runs import erase_contact
from activation.settings import DestinationSettings
from activation.sync import run_sync
from tests.sends_helpers import API_KEY, settings
from tests.test_sync_holds_back import make_warehouse
from tests.test_sync_under_faults import LIST_NAME, declaration

ERASED = "subscriber.4@example.com"  # c-0000004
OTHER_KEY = "pk_second_account_41c7"


def state_rows(wh: Path) -> list[tuple[str, str]]:
    with duckdb.connect(str(wh), read_only=True) as con:
        rows = con.execute(
            "select destination_target, status from activation.sync_state where record_key = ?",
            [ERASED],
        ).fetchall()
    return sorted((str(target), str(status)) for target, status in rows)


def test_a_mirror_sync_removes_the_person_from_a_list_their_erasure_did_not_reach(
    tmp_path: Path,
) -> None:
    wh = make_warehouse(tmp_path / "w.duckdb")
    sync = declaration(100)
    with start_sandbox(API_KEY) as reached, start_sandbox(OTHER_KEY) as unreached:
        here = settings(reached.base_url)
        there = klaviyo_settings(
            {"KLAVIYO_API_KEY": OTHER_KEY, "KLAVIYO_BASE_URL": unreached.base_url}
        )
        for account in (here, there):
            assert run_sync(sync, wh, account).added == 10

        def only_here(destination: str) -> DestinationSettings:
            return here

        erasure = erase_contact(wh, ERASED, only_here)
        assert (erasure.erased, list(erasure.failed)) == ([here.target], [there.target])
        assert state_rows(wh) == [(there.target, "synced")]
        assert erasure.state_rows_deleted == 1  # here's; there's stays

        later = run_sync(sync, wh, there)
        members = {m["email"] for m in unreached.list_members(LIST_NAME)}
        assert (later.removed, later.added) == (1, 0)
        assert ERASED not in members and len(members) == 9

        def there_now(destination: str) -> DestinationSettings:
            return there

        rerun = erase_contact(wh, ERASED, there_now)
        assert (rerun.erased, rerun.failed) == ([there.target], {})
        assert state_rows(wh) == []
