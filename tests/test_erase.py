"""`nudge erase --email` (GDPR) and `nudge sync --dry-run` through the real CLI, against the
Klaviyo sandbox: the contact leaves the destination (data-privacy deletion job) and the
model tables, its sync state goes, the send ledger and read-back suppressions keep only
pseudonyms (no send_key left to recompute), tombstones stay; an account out of reach is
erased by a rerun; an unknown address changes nothing; a dry run sends nothing.
tests/test_erasure_holds.py does it end to end on a generated store."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from activation.destinations.klaviyo.sandbox import SandboxHandle, start_sandbox
from activation.destinations.klaviyo.settings import klaviyo_settings
from activation.personal_data import Person, raw_selections
from activation.sends.ledger import LEDGER_TABLE, ensure_ledger
from activation.sends.suppressions import SUPPRESSIONS_TABLE, ensure_suppressions
from activation.state import STATE_TABLE
from activation.warehouse import Warehouse
from nudge.cli import app, console
from nudge.dbt_runner import dbt_artifacts_dir
from nudge.raw_contract import create_table_sql
from tests.stamps import stamp_live
from tests.test_sync_under_faults import LIST_NAME, MODEL_ID, TABLE, audience_sql, declaration

API_KEY = "pk_erase_test_91c2"
ROWS = 30
ERASED = "subscriber.7@example.com"  # contact c-0000007


def manifest(sync: dict[str, Any]) -> dict[str, Any]:
    return {
        "exposures": {
            "exposure.nudge.klaviyo_subscribers": {
                "name": "klaviyo_subscribers",
                "resource_type": "exposure",
                "config": {"enabled": True, "meta": {"nudge_sync": sync}},
                "depends_on": {"nodes": [MODEL_ID]},
            }
        },
        "nodes": {MODEL_ID: {"relation_name": '"nudge"."syncs"."sync_klaviyo_subscribers"'}},
    }


def make_warehouse(path: Path) -> Path:
    """The audience table, contact_profiles, and the dbt manifest `nudge sync` reads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema syncs")
        con.execute(f"create table {TABLE} as {audience_sql(ROWS)}")
        con.execute("create schema contacts")
        con.execute(
            "create table contacts.contact_profiles as"
            f" select contact_id, lower(email) as email from {TABLE}"
        )
    stamp_live(path, TABLE)
    target = dbt_artifacts_dir(path) / "target"
    target.mkdir(parents=True)
    sync = dict(declaration(1_000).config.model_dump(exclude_none=True))
    (target / "manifest.json").write_text(json.dumps(manifest(sync)), encoding="utf-8")
    return path


def send_key(contact: str) -> str:
    """The key the ledger rows below are written under: md5 as triggered_sends makes it."""
    return hashlib.md5(f"{contact}|abandoned_cart|{contact}|cart-1|1".encode()).hexdigest()


def add_ledger_and_suppression(path: Path, destination_target: str) -> None:
    now = datetime(2026, 7, 1, 12)
    with Warehouse(path) as warehouse:
        ensure_ledger(warehouse)
        ensure_suppressions(warehouse)
        for contact in ("c-0000007", "c-0000008"):
            warehouse.execute(
                f"insert into {LEDGER_TABLE} (send_key, destination_target, contact_id,"
                " trigger_key, step, series_id, variant, status, status_reason, attempts,"
                " last_error, created_at, sent_at, updated_at)"
                " values (?, ?, ?, 'abandoned_cart', 1, ?, 'A', 'sent', null, 1, null, ?, ?, ?)",
                [
                    send_key(contact),
                    destination_target,
                    contact,
                    f"{contact}|cart-1",
                    now,
                    now,
                    now,
                ],
            )
        warehouse.execute(
            f"insert into {SUPPRESSIONS_TABLE} (message_id, destination_target, destination_ref,"
            " email, external_id, contact_id, reason, suppressed_at, landed_at)"
            " values ('m-1', ?, '01PROFILE', ?, 'c-0000007', 'c-0000007', 'unsubscribed', ?, ?)",
            [destination_target, ERASED, now, now],
        )


def activation_text(path: Path, but: str | None = None) -> str:
    """Every row of every activation table (``but`` one), as text."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'activation'"
            " and table_name <> ?",
            [but or ""],
        ).fetchall()
        return repr(
            {t: con.execute(f'select * from activation."{t}"').fetchall() for (t,) in tables}
        )


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    handle = start_sandbox(API_KEY)
    yield handle
    handle.stop()


@pytest.fixture
def env(sandbox: SandboxHandle) -> dict[str, str]:
    return {"KLAVIYO_BASE_URL": sandbox.base_url, "KLAVIYO_API_KEY": API_KEY}


def planned_count(output: str, measure: str) -> int:
    """The number in the summary table's row for ``measure``."""
    (line,) = [line for line in output.splitlines() if f" {measure} " in line]
    return int(line.strip(" │|").split()[-1].replace(",", ""))


def nudge(args: list[str], env: dict[str, str]) -> Any:
    console.width = 200  # wide tables, whatever the terminal
    result = CliRunner().invoke(app, args, env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_a_dry_run_prints_the_plan_and_no_request_reaches_the_sandbox(
    tmp_path: Path, sandbox: SandboxHandle, env: dict[str, str]
) -> None:
    path = make_warehouse(tmp_path / "nudge.duckdb")
    planned = nudge(["sync", "--dry-run", "--warehouse", str(path)], env)
    assert planned.exit_code == 0, planned.output
    assert "dry run: no API called" in " ".join(planned.output.split())
    assert planned_count(planned.output, "added") == ROWS
    assert sandbox.requests() == []

    synced = nudge(["sync", "klaviyo_subscribers", "--warehouse", str(path)], env)
    assert synced.exit_code == 0, synced.output
    assert len(sandbox.list_members(LIST_NAME)) == ROWS
    with duckdb.connect(str(path)) as con:
        con.execute(f"delete from {TABLE} where contact_id = 'c-0000003'")
    sandbox.clear_requests()
    again = nudge(["sync", "--dry-run", "--warehouse", str(path)], env)
    assert again.exit_code == 0 and sandbox.requests() == []
    assert planned_count(again.output, "removed") == 1
    assert planned_count(again.output, "unchanged") == ROWS - 1


def test_erase_deletes_the_contact_everywhere_it_went_and_keeps_only_a_pseudonym(
    tmp_path: Path, sandbox: SandboxHandle, env: dict[str, str]
) -> None:
    path = make_warehouse(tmp_path / "nudge.duckdb")
    assert nudge(["sync", "--warehouse", str(path)], env).exit_code == 0
    (target,) = {
        row[0]
        for row in duckdb.connect(str(path))
        .execute(f"select distinct destination_target from {STATE_TABLE}")
        .fetchall()
    }
    add_ledger_and_suppression(path, target)
    assert sandbox.profile(ERASED) is not None
    sandbox.clear_requests()

    dry = nudge(
        ["erase", "--email", "Subscriber.7@Example.com", "--dry-run", "--warehouse", str(path)], env
    )
    assert dry.exit_code == 0 and target in dry.output and sandbox.requests() == []

    erased = nudge(["erase", "--email", "Subscriber.7@Example.com", "--warehouse", str(path)], env)

    assert erased.exit_code == 0, erased.output
    (deletion,) = sandbox.requests()
    assert (deletion["path"], deletion["status"], deletion["validation"]) == (
        "/api/data-privacy-deletion-jobs",
        202,
        "passed",
    )
    assert sandbox.profile(ERASED) is None
    assert ERASED not in {m["email"] for m in sandbox.list_members(LIST_NAME)}
    assert len(sandbox.list_members(LIST_NAME)) == ROWS - 1
    text = activation_text(path)
    assert ERASED not in text and "c-0000007" not in text
    assert "subscriber.8@example.com" in text and "c-0000008" in text  # others untouched
    with duckdb.connect(str(path), read_only=True) as con:
        ledger = con.execute(
            f"select contact_id, series_id, send_key from {LEDGER_TABLE} order by contact_id"
        ).fetchall()
        (log,) = con.execute("select pseudonym, erased_targets from activation.erasures").fetchall()
        (suppression,) = con.execute(
            f"select email, external_id, contact_id, destination_ref from {SUPPRESSIONS_TABLE}"
        ).fetchall()
        left = con.execute(
            "select"
            " (select count(*) from contacts.contact_profiles where contact_id = 'c-0000007'),"
            f" (select count(*) from {TABLE} where contact_id = 'c-0000007'),"
            f" (select count(*) from {TABLE}),"
            " (select count(*) from activation.erasure_tombstones)"
        ).fetchone()
    assert ledger[0] == ("c-0000008", "c-0000008|cart-1", send_key("c-0000008"))
    contact, series, key = ledger[1]
    assert all(value.startswith("erased:") for value in (contact, series, key))
    assert key != send_key("c-0000007")  # nothing left to recompute it from
    assert suppression[0].startswith("erased:") and suppression[1].startswith("erased:")
    assert suppression[2] is None and suppression[3].startswith("erased:")
    assert json.loads(log[1]) == [target] and log[0].startswith("erased:")
    assert left == (0, 0, ROWS - 1, 2)  # gone from the models; the address and the id tombstoned
    # erasing again finds nothing left to reach, and says the address was erased before
    again = nudge(["erase", "--email", ERASED, "--warehouse", str(path)], env)
    assert again.exit_code == 0 and "already erased" in again.output
    assert len(sandbox.requests()) == 1


def test_an_account_the_settings_do_not_reach_is_reported_and_erased_by_a_rerun(
    tmp_path: Path, sandbox: SandboxHandle, env: dict[str, str]
) -> None:
    path = make_warehouse(tmp_path / "nudge.duckdb")
    assert nudge(["sync", "--warehouse", str(path)], env).exit_code == 0
    other = {**env, "KLAVIYO_API_KEY": "pk_another_account"}
    sandbox.clear_requests()

    result = nudge(["erase", "--email", ERASED, "--warehouse", str(path)], other)

    assert result.exit_code == 1
    assert "not erased" in result.output and "rerun with that account" in result.output
    assert "pk_another_account" not in result.output and API_KEY not in result.output
    assert sandbox.requests() == [] and sandbox.profile(ERASED) is not None
    # the warehouse side is done all the same, but for the sync state of the account not
    # reached: the person is still in its list, which a mirror sync there empties
    assert ERASED not in activation_text(path, but="sync_state")
    with duckdb.connect(str(path), read_only=True) as con:
        kept = con.execute(
            "select destination_target from activation.sync_state where record_key = ?", [ERASED]
        ).fetchall()
    assert kept == [(klaviyo_settings(env).target,)]

    rerun = nudge(["erase", "--email", ERASED, "--warehouse", str(path)], env)

    assert rerun.exit_code == 0, rerun.output
    assert [r["path"] for r in sandbox.requests()] == ["/api/data-privacy-deletion-jobs"]
    assert sandbox.profile(ERASED) is None
    assert ERASED not in activation_text(path)
    sandbox.clear_requests()
    assert nudge(["erase", "--email", ERASED, "--warehouse", str(path)], env).exit_code == 0
    assert sandbox.requests() == []  # nothing pending any more


def test_an_unknown_address_is_refused_and_nothing_is_written(
    tmp_path: Path, sandbox: SandboxHandle, env: dict[str, str]
) -> None:
    path = make_warehouse(tmp_path / "nudge.duckdb")
    assert nudge(["sync", "--warehouse", str(path)], env).exit_code == 0
    before = activation_text(path)
    sandbox.clear_requests()

    for dry in ([], ["--dry-run"]):
        result = nudge(
            ["erase", "--email", "Nobody@Example.com", *dry, "--warehouse", str(path)], env
        )
        assert result.exit_code == 1
        assert result.output.strip().splitlines() == [
            "nobody@example.com: Nudge holds nothing on this address; nothing changed"
        ]
    assert activation_text(path) == before and sandbox.requests() == []


def test_a_bad_raw_tables_setting_is_refused_with_the_reason(
    tmp_path: Path, env: dict[str, str]
) -> None:
    path = make_warehouse(tmp_path / "nudge.duckdb")
    result = nudge(
        ["erase", "--email", ERASED, "--warehouse", str(path)],
        {**env, "NUDGE_RAW_TABLES_OWNED": "maybe"},
    )
    assert result.exit_code == 2 and "NUDGE_RAW_TABLES_OWNED must be true or false" in result.output


def test_a_bad_email_is_refused_with_the_reason(tmp_path: Path, env: dict[str, str]) -> None:
    path = make_warehouse(tmp_path / "nudge.duckdb")
    result = nudge(["erase", "--email", "not-an-address", "--warehouse", str(path)], env)
    assert result.exit_code == 2 and "--email must be an email address" in result.output


def test_the_readme_shows_the_exact_statements_a_raw_tables_owner_gets(tmp_path: Path) -> None:
    path = tmp_path / "nudge.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        con.execute(create_table_sql("identifies"))
        con.execute("create schema staging")
        con.execute(
            "create table staging.stg_identifies__checked (message_id varchar, user_id varchar,"
            " anonymous_id varchar, email varchar, traits varchar, quarantine_reason varchar,"
            " raw_row varchar)"
        )
    person = Person("ann@example.com", ("u1",), ("a1",))
    with Warehouse(path) as warehouse:
        statements = [s.delete_sql for s in raw_selections(warehouse, person)]
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert len(statements) == 2 and all(statement in readme for statement in statements)
