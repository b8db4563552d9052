"""triggered_sends on a generated year of data, first as a fresh warehouse (no send ledger
yet: the first deployment over a year of history), then with ledger rows written the way
activation writes them: a 'sent' send is never due again and the next step of its series
still comes due; 'pending' and 'failed' sends stay due. Keys, holdout and variants are
recomputed in Python for every send."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from nudge.dbt_runner import parse_manifest, run_dbt
from tests.scenarios.harness import (
    LEDGER_COLUMNS,
    is_held_out,
    send_key,
    trigger_catalog,
    variant,
)

pytestmark = pytest.mark.slow

AS_OF = datetime(2026, 11, 1, 12)
# what the send-time gate adds to the ledger; stg_send_ledger has them, null when absent
GATE_COLUMNS = [
    ("due_at", "timestamp"),
    ("deferred_until", "timestamp"),
    ("expires_at", "timestamp"),
    ("timezone", "varchar"),
]
LATENESS = timedelta(hours=24)
Send = dict[str, Any]


def _sends(warehouse: Path) -> list[Send]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute("select * from triggers.triggered_sends")
        columns = [d[0] for d in cursor.description or []]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


class Store:
    """A generated store and the parsed project, built as of any instant on demand."""

    def __init__(self, warehouse: Path) -> None:
        from nudge.generator import generate

        warehouse.parent.mkdir(parents=True, exist_ok=True)
        generate(warehouse, contacts=150, seed=5, end=AS_OF, days=365)
        self.warehouse = warehouse
        self.manifest = parse_manifest(warehouse)
        run_dbt(["seed"], warehouse, quiet=True, manifest=self.manifest)

    def build(
        self, as_of: datetime, select: str = "+triggered_sends", **dbt_vars: Any
    ) -> list[Send]:
        run_dbt(
            ["run", "-s", select],
            self.warehouse,
            {"as_of": as_of.isoformat(sep=" "), **dbt_vars},
            quiet=True,
            manifest=self.manifest,
        )
        return _sends(self.warehouse)

    def write_ledger(self, rows: list[tuple[Any, ...]]) -> None:
        with duckdb.connect(str(self.warehouse)) as con:
            con.execute("create schema if not exists activation")
            columns = ", ".join(f"{name} {data_type}" for name, data_type in LEDGER_COLUMNS)
            con.execute(f"create table if not exists activation.send_ledger ({columns})")
            placeholders = ", ".join(["?"] * len(LEDGER_COLUMNS))
            con.executemany(f"insert into activation.send_ledger values ({placeholders})", rows)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return Store(tmp_path_factory.mktemp("triggers_generated") / "nudge.duckdb")


@pytest.fixture(scope="module")
def first_deployment(store: Store) -> list[Send]:
    return store.build(AS_OF)


def test_fresh_warehouse_reads_an_empty_ledger(store: Store, first_deployment: list[Send]) -> None:
    with duckdb.connect(str(store.warehouse), read_only=True) as con:
        types = con.execute(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'staging' and table_name = 'stg_send_ledger'"
            " order by ordinal_position"
        ).fetchall()
        rows = con.execute("select count(*) from staging.stg_send_ledger").fetchone()
    expected = {"varchar": "VARCHAR", "integer": "INTEGER", "timestamp": "TIMESTAMP"}
    assert types == [
        (name, expected[data_type]) for name, data_type in [*LEDGER_COLUMNS, *GATE_COLUMNS]
    ]
    assert rows == (0,)
    assert not [s for s in first_deployment if s["status"] == "sent"]


def test_first_deployment_sends_nothing_old(first_deployment: list[Send]) -> None:
    """A year of history, built for the first time: most sends are long expired, and the
    ones due are all within 24 h of their due time."""
    statuses = Counter(s["status"] for s in first_deployment)
    assert statuses["expired"] > 10 * max(statuses["due"], 1), statuses
    for send in first_deployment:
        if send["status"] in ("due", "capped"):
            assert timedelta(0) <= AS_OF - send["due_at"] <= LATENESS, send
        if send["status"] == "scheduled":
            # not due yet, or held until the contact's preferred hour by send-time
            # optimization, which waits less than the lateness limit
            assert send["send_after"] > AS_OF and send["send_after"] >= send["due_at"], send
            if send["send_after"] > send["due_at"]:
                assert send["status_reason"] == "send_time_optimized", send
                assert send["send_after"] - send["due_at"] < LATENESS, send


def test_keys_holdout_and_variants_are_pure_functions(first_deployment: list[Send]) -> None:
    catalog = trigger_catalog()
    held_out = 0
    for send in first_deployment:
        contact, trigger = send["contact_id"], send["trigger_key"]
        assert send["send_key"] == send_key(contact, trigger, send["series_id"], send["step"])
        pct = int(catalog[trigger]["variant_b_pct"])
        assert send["variant"] == variant(contact, trigger, pct), send
        if send["status"] == "held_out":
            assert is_held_out(contact, trigger), send
            held_out += 1
        if send["status"] in ("scheduled", "due", "capped"):
            assert not is_held_out(contact, trigger), send
    pairs = {(s["contact_id"], s["trigger_key"]) for s in first_deployment}
    share = sum(is_held_out(c, t) for c, t in pairs) / len(pairs)
    assert 0.05 < share < 0.15, share  # about holdout_pct of (contact, trigger) pairs
    assert held_out, "no send held out at all"


def test_caps_hold_on_generated_data(first_deployment: list[Send]) -> None:
    due = Counter(s["contact_id"] for s in first_deployment if s["status"] == "due")
    assert due and max(due.values()) == 1  # max_sends_per_day, with an empty ledger


def test_one_person_per_address_on_generated_data(
    store: Store, first_deployment: list[Send]
) -> None:
    """The generator's guest checkouts share an address with another contact: only the
    address's primary contact has sends that can leave, and the caps hold per address."""
    with duckdb.connect(str(store.warehouse), read_only=True) as con:
        profiles = con.execute(
            "select contact_id, email_key, is_primary_for_email, suppression_reason"
            " from contacts.contact_profiles where email_key is not null"
        ).fetchall()
    address = {contact: key for contact, key, _, _ in profiles}
    shared = Counter(address.values())
    assert any(n > 1 for n in shared.values()), "the generated store shares no address"
    others = {c: reason for c, key, primary, reason in profiles if shared[key] > 1 and not primary}
    # duplicate_address comes after the consent reasons: a non-primary contact is never sendable
    assert others and set(others.values()) <= {
        "duplicate_address",
        "no_consent",
        "unsubscribed",
        "hard_bounce",
        "spam_complaint",
    }, others
    leaving = ("due", "scheduled", "capped", "held_out")
    assert not [s for s in first_deployment if s["contact_id"] in others and s["status"] in leaving]
    due = Counter(
        address.get(s["contact_id"], s["contact_id"])
        for s in first_deployment
        if s["status"] == "due"
    )
    assert due and max(due.values()) == 1


def _ledger_row(send: Send, status: str, at: datetime) -> tuple[Any, ...]:
    sent_at = at if status == "sent" else None
    return (
        send["send_key"],
        "klaviyo:test",
        send["contact_id"],
        send["trigger_key"],
        send["step"],
        send["series_id"],
        send["variant"],
        status,
        "boom" if status == "failed" else None,
        1,
        "HTTP 503" if status == "failed" else None,
        at,
        sent_at,
        at,
    )


def test_ledger_sent_is_never_due_again_and_the_next_step_comes_due(
    store: Store, first_deployment: list[Send]
) -> None:
    by_series: dict[tuple[str, str, str], dict[int, Send]] = {}
    for send in first_deployment:
        by_series.setdefault((send["contact_id"], send["trigger_key"], send["series_id"]), {})[
            send["step"]
        ] = send
    # a due step 1 whose step 2 is scheduled, and two other contacts' due sends
    first = next(
        steps[1]
        for steps in by_series.values()
        if 1 in steps
        and steps[1]["status"] == "due"
        and steps.get(2, {}).get("status") == "scheduled"
    )
    others = [
        s
        for s in first_deployment
        if s["status"] == "due" and s["contact_id"] != first["contact_id"]
    ]
    pending, failed = others[0], others[1]
    store.write_ledger(
        [
            _ledger_row(first, "sent", AS_OF - timedelta(minutes=1)),
            _ledger_row(pending, "pending", AS_OF - timedelta(minutes=1)),
            _ledger_row(failed, "failed", AS_OF - timedelta(minutes=1)),
        ]
    )

    again = {s["send_key"]: s for s in store.build(AS_OF, select="stg_send_ledger+")}
    assert again[first["send_key"]]["status"] == "sent"
    assert again[first["send_key"]]["sent_at"] == AS_OF - timedelta(minutes=1)
    assert again[pending["send_key"]]["status"] == "due"
    assert again[failed["send_key"]]["status"] == "due"
    # a ledger row written after as_of is not seen by a replay of an earlier instant
    earlier = {
        s["send_key"]: s
        for s in store.build(AS_OF - timedelta(minutes=2), select="stg_send_ledger+")
    }
    assert earlier[first["send_key"]]["status"] != "sent"

    # when step 2 comes due, step 1 is still sent and step 2 is due (caps lifted so that
    # other triggers of the contact cannot take its slot)
    step_2 = by_series[(first["contact_id"], first["trigger_key"], first["series_id"])][2]
    later = {
        s["send_key"]: s
        for s in store.build(
            step_2["due_at"] + timedelta(minutes=1), max_sends_per_day=10, max_sends_per_week=10
        )
    }
    assert later[first["send_key"]]["status"] == "sent"
    assert later[step_2["send_key"]]["status"] == "due", later[step_2["send_key"]]
