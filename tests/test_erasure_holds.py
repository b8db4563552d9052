"""Erasure that holds, end to end on a generated store (README "Erasure"): after `nudge erase`
the person is in no raw row, model table or activation table in clear, the ledger's send
keys cannot be recomputed from the ids, and a later build on raw data holding the person
again (the collector re-sends an identify) followed by `nudge sync` does not bring them
back to Klaviyo. With collector-owned raw tables the command leaves them and prints the
exact SQL; `nudge export` returns the person's rows and nobody else's.

One store per module: generated (100 contacts), built, synced and sent to the Klaviyo
sandbox, two people suppressed in Klaviyo and read back; then copied (``before``) and one
person erased."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from activation.destinations.klaviyo.sandbox import SandboxHandle, start_sandbox
from activation.personal_data import find_person
from activation.state import utcnow
from activation.warehouse import Warehouse
from nudge.cli import app, console
from nudge.dbt_runner import dbt_artifacts_dir

API_KEY = "pk_erasure_holds_5e0a"
LIST_NAME = "Nudge — Subscribers"
pytestmark = pytest.mark.slow


def nudge(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    console.width = 250  # wide tables, whatever the terminal
    result = CliRunner().invoke(app, args, env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def query(path: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def copy_warehouse(path: Path, directory: Path) -> Path:
    """The warehouse file and its dbt artifacts (the manifest `nudge sync` reads)."""
    directory.mkdir(parents=True)
    copied = directory / path.name
    shutil.copy(path, copied)
    shutil.copytree(dbt_artifacts_dir(path), dbt_artifacts_dir(copied))
    return copied


def text_values(path: Path) -> Iterator[tuple[str, str]]:
    """(relation.column, value) of every text value of every table and view."""
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
            " where data_type = 'VARCHAR' order by all"
        ).fetchall()
        for schema, table, column in columns:
            rows = con.execute(
                f'select distinct "{column}" from "{schema}"."{table}" where "{column}" is not null'
            ).fetchall()
            for (value,) in rows:
                yield f"{schema}.{table}.{column}", value


def mentions(path: Path, needles: list[str]) -> list[tuple[str, str]]:
    lowered = [needle.lower() for needle in needles]
    return [
        (where, needle)
        for where, value in text_values(path)
        for needle in lowered
        if needle in value.lower()
    ]


def named_in(value: str, text: str) -> bool:
    """``value`` as a whole token of ``text`` (not inside a longer id or address)."""
    return re.search(rf"(?<![\w.+-]){re.escape(value)}(?![\w.-])", text) is not None


def md5_key(contact_id: str, trigger_key: str, series_id: str, step: int) -> str:
    """tests/scenarios/harness.py send_key: md5 of 'contact_id|trigger_key|series_id|step'."""
    return hashlib.md5(f"{contact_id}|{trigger_key}|{series_id}|{step}".encode()).hexdigest()


@dataclass
class Store:
    sandbox: SandboxHandle
    env: dict[str, str]
    before: Path  # generated, built, synced, two suppressions read back
    erased: Path  # the same after `nudge erase --email <email>`
    email: str
    contact_ids: tuple[str, ...]
    anonymous_ids: tuple[str, ...]
    other: str  # suppressed too, not erased
    bystander: str  # synced, for the collector-owned test
    sends: list[tuple[str, str, str, str, int]]  # the person's send_key, contact, trigger, …
    erase_exit: int
    erase_output: str


def people(path: Path) -> list[tuple[str, str]]:
    """(contact_id, address) of synced contacts, those who ordered first (rows keyed by
    their order events), then those with the most ledger rows."""
    rows = query(
        path,
        "select p.contact_id, lower(trim(p.email)) as address"
        " from contacts.contact_profiles as p"
        " inner join activation.sync_state as s on s.record_key = lower(trim(p.email))"
        " left join activation.send_ledger as l on l.contact_id = p.contact_id"
        " group by all order by"
        " max(p.orders_count) > 0 desc, count(l.send_key) desc, p.contact_id",
    )
    return [(str(contact), str(address)) for contact, address in rows]


def ensure_a_ledger_row(path: Path, contact_id: str, target: str) -> None:
    """Which sends are due depends on the wall clock (the history ends today 00:00); when
    none of the person's was, record one of its triggered sends as sent, as the runner
    would."""
    if query(path, "select 1 from activation.send_ledger where contact_id = ?", [contact_id]):
        return
    ((key, trigger, series, step, variant),) = query(
        path,
        "select send_key, trigger_key, series_id, step, variant from triggers.triggered_sends"
        " where contact_id = ? order by send_key limit 1",
        [contact_id],
    )
    now = utcnow()
    with duckdb.connect(str(path)) as con:
        con.execute(
            "insert into activation.send_ledger (send_key, destination_target, contact_id,"
            " trigger_key, step, series_id, variant, status, status_reason, attempts,"
            " last_error, created_at, sent_at, updated_at)"
            " values (?, ?, ?, ?, ?, ?, ?, 'sent', null, 1, null, ?, ?, ?)",
            [key, target, contact_id, trigger, step, series, variant, now, now, now],
        )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    sandbox = start_sandbox(API_KEY)
    env = {"KLAVIYO_BASE_URL": sandbox.base_url, "KLAVIYO_API_KEY": API_KEY}
    try:
        root = tmp_path_factory.mktemp("erasure")
        live = root / "live" / "nudge.duckdb"
        live.parent.mkdir()
        for args in (["generate", "--contacts", "100"], ["build"], ["sync"]):
            code, output = nudge([*args, "--warehouse", str(live)], env)
            assert code == 0, output
        (contact, email), (_, other), (_, bystander) = people(live)[:3]
        ((target,),) = query(live, "select distinct destination_target from activation.sync_state")
        ensure_a_ledger_row(live, contact, target)
        sandbox.suppress(email)
        sandbox.suppress(other, reason="HARD_BOUNCE")
        code, output = nudge(["sync", "triggered_sends", "--warehouse", str(live)], env)
        assert code == 0, output
        landed = query(live, "select count(*) from activation.esp_suppressions")
        assert landed == [(2,)]

        with Warehouse(live, read_only=True) as warehouse:
            person = find_person(warehouse, email)
        assert person.contact_ids == (contact,) and person.anonymous_ids
        sends = query(
            live,
            "select send_key, contact_id, trigger_key, series_id, step"
            " from triggers.triggered_sends where contact_id = ?",
            [contact],
        )
        before = copy_warehouse(live, root / "before")
        code, output = nudge(
            ["erase", "--email", f" {email.upper()} ", "--warehouse", str(live)], env
        )
        yield Store(
            sandbox,
            env,
            before,
            live,
            email,
            person.contact_ids,
            person.anonymous_ids,
            other,
            bystander,
            [(str(k), str(c), str(t), str(s), int(n)) for k, c, t, s, n in sends],
            code,
            output,
        )
    finally:
        sandbox.stop()


def test_the_person_is_in_no_table_in_clear_and_nobody_else_lost_anything(store: Store) -> None:
    assert store.erase_exit == 0, store.erase_output
    assert store.sandbox.profile(store.email) is None
    needles = [store.email, *store.contact_ids, *store.anonymous_ids]
    assert mentions(store.before, needles)  # the scan finds them when they are there
    assert mentions(store.erased, needles) == []

    person_events = query(
        store.before,
        "select count(*) from raw.events where user_id in (select unnest(?::varchar[]))",
        [list(store.contact_ids)],
    )[0][0]
    assert person_events > 0
    (events_before,), (events_after,) = (
        query(path, "select count(*) from raw.events")[0] for path in (store.before, store.erased)
    )
    assert events_before - events_after >= person_events
    (profiles_before,), (profiles_after,) = (
        query(path, "select count(*) from contacts.contact_profiles")[0]
        for path in (store.before, store.erased)
    )
    assert profiles_after == profiles_before - len(store.contact_ids)
    other = query(
        store.erased,
        "select email, contact_id from activation.esp_suppressions where email is not null"
        " and email not like 'erased:%'",
    )
    assert [row[0].lower() for row in other] == [store.other]  # read back, kept in clear
    assert query(
        store.erased,
        "select count(*) from contacts.contact_profiles where lower(email) = ?",
        [store.other],
    ) == [(1,)]


def test_no_table_keeps_a_row_of_the_persons_events(store: Store) -> None:
    """Rows keyed by event, not naming the person (an order's lines, an anonymous page view),
    go with the person's events: nothing built from them outlives the erasure."""
    erased_events = _erased_message_ids(store)
    assert erased_events
    keyed = query(
        store.before,
        "select table_schema, table_name from information_schema.columns"
        " where column_name = 'message_id'"
        " and table_schema not in ('raw', 'main', 'activation') order by all",
    )
    held_before = {
        f"{schema}.{table}": _rows_of(store.before, schema, table, erased_events)
        for schema, table in keyed
    }
    assert held_before["intermediate.int_order_lines_parsed"] > 0  # the person ordered
    assert held_before["intermediate.int_page_views_parsed"] > 0
    held_after = {
        f"{schema}.{table}": _rows_of(store.erased, schema, table, erased_events)
        for schema, table in keyed
    }
    assert {relation: n for relation, n in held_after.items() if n} == {}


def _erased_message_ids(store: Store) -> set[str]:
    """The message ids of the raw events the erasure deleted."""
    before = {str(m) for (m,) in query(store.before, "select distinct message_id from raw.events")}
    after = {str(m) for (m,) in query(store.erased, "select distinct message_id from raw.events")}
    return before - after


def _rows_of(path: Path, schema: str, table: str, message_ids: set[str]) -> int:
    (count,) = query(
        path,
        f'select count(*) from "{schema}"."{table}"'
        " where message_id in (select unnest(?::varchar[]))",
        [sorted(message_ids)],
    )[0]
    return int(count)


def test_the_ledger_keeps_the_sends_under_keys_nothing_can_recompute(store: Store) -> None:
    ids = list(store.contact_ids)
    ledger_before = query(
        store.before,
        "select send_key, trigger_key, step, status from activation.send_ledger"
        " where contact_id in (select unnest(?::varchar[])) order by all",
        [ids],
    )
    assert ledger_before
    total_before = query(store.before, "select count(*) from activation.send_ledger")
    assert query(store.erased, "select count(*) from activation.send_ledger") == total_before

    ledger_after = query(store.erased, "select * from activation.send_ledger")
    keys_after = {row[0] for row in ledger_after}
    recomputed = {md5_key(c, t, s, n) for _, c, t, s, n in store.sends}
    assert {key for key, *_ in ledger_before} <= recomputed  # the formula held before
    assert not recomputed & keys_after
    pseudonymized = query(
        store.erased,
        "select send_key, series_id, trigger_key, step, status from activation.send_ledger"
        " where contact_id like 'erased:%' order by all",
    )
    assert sorted((t, n, s) for *_, t, n, s in pseudonymized) == sorted(
        (t, n, s) for _, t, n, s in ledger_before
    )  # the record of what was sent stays
    assert all(
        key.startswith("erased:") and series.startswith("erased:")
        for key, series, *_ in pseudonymized
    )

    (suppression,) = query(
        store.erased,
        "select email, external_id, contact_id, destination_ref, message_id"
        " from activation.esp_suppressions where email like 'erased:%'",
    )
    assert suppression[2] is None and suppression[3].startswith("erased:")
    message_ids = query(store.before, "select message_id from activation.esp_suppressions")
    assert (suppression[4],) in message_ids  # the read-back still knows it landed it


def raw_identify_and_consent(path: Path, contact_id: str, email: str) -> None:
    """What a collector re-sends after the erasure: an identify and a subscription."""
    at = utcnow() - timedelta(minutes=1)
    with duckdb.connect(str(path)) as con:
        con.execute(
            "insert into raw.identifies (message_id, user_id, anonymous_id, timestamp,"
            " received_at, traits) values (?, ?, null, ?, ?, ?)",
            [str(uuid.uuid4()), contact_id, at, at, json.dumps({"email": email})],
        )
        con.execute(
            "insert into raw.events (message_id, event, user_id, anonymous_id, timestamp,"
            " received_at, properties, context) values (?, 'Subscribed', ?, null, ?, ?, ?, ?)",
            [
                str(uuid.uuid4()),
                contact_id,
                at,
                at,
                json.dumps({"channel": "email", "source": "footer"}),
                json.dumps({"channel": "web"}),
            ],
        )


def test_a_later_build_and_sync_on_raw_data_holding_the_person_again_do_not_re_add_them(
    store: Store, tmp_path: Path
) -> None:
    again = copy_warehouse(store.erased, tmp_path / "again")
    (contact,) = store.contact_ids
    raw_identify_and_consent(again, contact, store.email.title())

    code, output = nudge(["build", "--warehouse", str(again)], store.env)
    assert code == 0, output  # the raw tables and their staging copies still reconcile
    audience = query(
        again,
        "select contact_id from syncs.sync_klaviyo_subscribers where lower(email) = ?",
        [store.email],
    )
    assert audience == [(contact,)]  # the models hold the person again

    code, output = nudge(["sync", "--warehouse", str(again)], store.env)

    assert code == 0, output
    syncs = output.split("Triggered sends")[0]
    (held,) = [line for line in syncs.splitlines() if line.strip("│ ").startswith("erased ")]
    assert held.strip(" │").split()[-1] == "1"
    assert store.sandbox.profile(store.email) is None
    assert store.email not in {m["email"] for m in store.sandbox.list_members(LIST_NAME)}
    assert query(
        again, "select count(*) from activation.sync_state where record_key = ?", [store.email]
    ) == [(0,)]


def test_collector_owned_raw_tables_are_left_and_the_owner_gets_the_exact_sql(
    store: Store, tmp_path: Path
) -> None:
    owned = copy_warehouse(store.before, tmp_path / "owned")
    with Warehouse(owned, read_only=True) as warehouse:
        person = find_person(warehouse, store.bystander)
    ids = list(person.contact_ids)
    counts = {
        table: f"select count(*) from {table} where user_id in (select unnest(?::varchar[]))"
        for table in (
            "raw.events",
            "raw.identifies",
            "staging.stg_events__checked",
            "staging.stg_identifies__checked",
        )
    }
    kept = {table: query(owned, sql, [ids]) for table, sql in counts.items()}
    assert all(count > 0 for ((count,),) in kept.values())

    code, output = nudge(
        ["erase", "--email", store.bystander, "--keep-raw", "--warehouse", str(owned)], store.env
    )

    assert code == 0, output
    assert {table: query(owned, sql, [ids]) for table, sql in counts.items()} == kept
    assert query(
        owned,
        "select count(*) from contacts.contact_profiles where contact_id in"
        " (select unnest(?::varchar[]))",
        [ids],
    ) == [(0,)]
    lines = output.splitlines()
    statements = lines[lines.index("begin transaction;") : lines.index("commit;") + 1]
    tables = [line.split()[2] for line in statements if line.startswith("delete from ")]
    assert tables == [
        '"raw"."events"',
        '"staging"."stg_events__checked"',
        '"raw"."identifies"',
        '"staging"."stg_identifies__checked"',
    ]
    difference = (
        "select (select count(*) from raw.{0}) - (select count(*) from staging.stg_{0}__checked)"
    )
    gaps = [query(owned, difference.format(t)) for t in ("events", "identifies")]

    with duckdb.connect(str(owned)) as con:  # what the owner runs
        con.execute("\n".join(statements))

    assert {table: query(owned, sql, [ids]) for table, sql in counts.items()} == {
        table: [(0,)] for table in counts
    }
    assert [query(owned, difference.format(t)) for t in ("events", "identifies")] == gaps
    assert mentions(owned, [store.bystander, *ids]) == []


def test_export_holds_the_persons_rows_and_nobody_elses(store: Store, tmp_path: Path) -> None:
    output = tmp_path / "export.json"
    code, printed = nudge(
        [
            "export",
            "--email",
            store.email.upper(),
            "--output",
            str(output),
            "--warehouse",
            str(store.before),
        ],
        store.env,
    )
    assert code == 0, printed
    document = json.loads(output.read_text(encoding="utf-8"))
    assert document["email"] == store.email
    assert tuple(document["contact_ids"]) == store.contact_ids
    tables = document["tables"]
    for relation in (
        "raw.events",
        "raw.identifies",
        "contacts.contact_profiles",
        "segments.segment_memberships",
        "segments.segment_transitions",
        "triggers.triggered_sends",
        "activation.send_ledger",
        "activation.sync_state",
        "activation.esp_suppressions",
    ):
        assert tables.get(relation), relation
    assert document["row_counts"] == {relation: len(rows) for relation, rows in tables.items()}
    (profile,) = tables["contacts.contact_profiles"]
    assert profile["email"].lower() == store.email
    ids, anonymous = set(store.contact_ids), set(store.anonymous_ids)
    for relation, rows in tables.items():
        for row in rows:
            device = row.get("anonymous_id") in anonymous
            text = json.dumps(row).lower()
            assert device or any(v in text for v in (store.email, *ids)), (relation, row)
    everyone = query(
        store.before,
        "select contact_id, lower(email) from contacts.contact_profiles where contact_id not in"
        " (select unnest(?::varchar[]))",
        [list(ids)],
    )
    text = output.read_text(encoding="utf-8").lower()
    strangers = [v for row in everyone for v in row if v and named_in(v, text)]
    assert strangers == []
    raw_count = query(
        store.before,
        "select count(*) from raw.events where trim(user_id) in (select unnest(?::varchar[]))",
        [list(ids)],
    )[0][0]
    assert len(tables["raw.events"]) >= raw_count > 0

    code, printed = nudge(
        ["export", "--email", "nobody@example.com", "--warehouse", str(store.before)], store.env
    )
    assert code == 1
    assert printed.strip().splitlines() == [
        "nobody@example.com: Nudge holds nothing on this address"
    ]
