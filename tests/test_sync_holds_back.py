"""Audience syncs obey the same send-time suppression as sends (a list add can start an ESP
flow): a contact whose consent ended after the sync model was built (an unsubscribe landing
in raw.events, spelled as a collector spells it) or who was erased is not added to the list;
the run says so by reason, and the row is decided again by the next run. Before, both were
added by the next sync."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import duckdb

from activation.destinations.klaviyo.sandbox import start_sandbox
from activation.state import utcnow
from activation.sync import run_sync
from activation.tombstones import add_tombstones
from activation.warehouse import Warehouse
from nudge.raw_contract import create_table_sql
from tests.sends_helpers import API_KEY, settings
from tests.stamps import stamp_live
from tests.test_sync_under_faults import TABLE, audience_sql, declaration

UNSUBSCRIBED = "c-0000003"  # Subscriber.3@Example.com
ERASED = "subscriber.5@example.com"  # c-0000005


def make_warehouse(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema syncs")
        con.execute(f"create table {TABLE} as {audience_sql(10)}")
        con.execute("create schema contacts")
        con.execute(
            f"create table contacts.contact_profiles as select contact_id, email from {TABLE}"
        )
        con.execute("create schema raw")
        con.execute(create_table_sql("events"))
    stamp_live(path, TABLE)
    return path


def test_contacts_who_may_not_be_emailed_now_are_held_back_from_the_list(tmp_path: Path) -> None:
    wh = make_warehouse(tmp_path / "w.duckdb")
    after_build = utcnow() + timedelta(seconds=5)
    with duckdb.connect(str(wh)) as con:
        con.execute(
            "insert into raw.events values ('m-1', 'unsubscribed ', ?, null, ?, ?, ?, null)",
            [UNSUBSCRIBED, after_build, after_build, json.dumps({"channel": "email"})],
        )
    with Warehouse(wh) as warehouse:
        add_tombstones(warehouse, email=ERASED, contact_ids=[], erased_at=utcnow())

    with start_sandbox(API_KEY) as sandbox:
        result = run_sync(declaration(100), wh, settings(sandbox.base_url))
        emails = {p["email"] for p in sandbox.profiles()}

    assert (result.added, result.held_back) == (8, 2)
    assert result.held_back_by_reason == {"unsubscribed_after_build": 1, "erased": 1}
    assert ERASED not in emails and "subscriber.3@example.com" not in emails
    assert len(emails) == 8
    with duckdb.connect(str(wh)) as con:
        rows = con.execute("select record_key from activation.sync_state").fetchall()
    synced = {row[0] for row in rows}
    assert ERASED not in synced and "subscriber.3@example.com" not in synced
