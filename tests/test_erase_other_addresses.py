"""`nudge erase` reaches the person under every address their contact id was known by: an
email changed after a sync leaves the old address in the sync state and, at the ESP, on a
profile of its own (a sign-up form, an import). Erasing the current address deletes both,
tombstones both (a collector sending the old address again under a new id does not bring
it back), and an address another contact uses too is left alone: it is not the person's
alone. `nudge export` lists the other addresses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from activation.destinations.klaviyo.sandbox import SandboxHandle, start_sandbox
from tests.test_erase import make_warehouse, nudge
from tests.test_sync_under_faults import LIST_NAME, TABLE

API_KEY = "pk_erase_other_addresses_4d1f"
CURRENT = "subscriber.7@example.com"  # contact c-0000007
OLD = "seven.old@example.com"  # c-0000007 before it changed its email
SHARED = "family@example.com"  # c-0000008's other address, c-0000009's too
IDENTIFIES = (
    ("m-1", "c-0000007", OLD),
    ("m-2", "c-0000007", CURRENT),
    ("m-3", "c-0000008", SHARED),
    ("m-4", "c-0000008", "subscriber.8@example.com"),
    ("m-5", "c-0000009", SHARED),
)


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    handle = start_sandbox(API_KEY)
    yield handle
    handle.stop()


@pytest.fixture
def env(sandbox: SandboxHandle) -> dict[str, str]:
    return {"KLAVIYO_BASE_URL": sandbox.base_url, "KLAVIYO_API_KEY": API_KEY}


def set_email(path: Path, contact_id: str, email: str) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(f"update {TABLE} set email = ? where contact_id = ?", [email, contact_id])
        con.execute(
            "update contacts.contact_profiles set email = ? where contact_id = ?",
            [email, contact_id],
        )


def add_identifies(path: Path) -> None:
    """The identifies staging parsed: c-0000007 under two addresses, a shared one."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema staging")
        con.execute(
            "create table staging.stg_identifies__checked (message_id varchar, user_id varchar,"
            " anonymous_id varchar, email varchar, traits varchar, quarantine_reason varchar,"
            " raw_row varchar)"
        )
        for message_id, user_id, email in IDENTIFIES:
            con.execute(
                "insert into staging.stg_identifies__checked values (?, ?, null, ?, ?, null, null)",
                [message_id, user_id, email, json.dumps({"email": email})],
            )


def form_profile(sandbox: SandboxHandle, email: str) -> None:
    """A profile the ESP holds under the address alone (a sign-up form, an old import)."""
    sandbox.app.store.upsert_profile({"type": "profile", "attributes": {"email": email}})


def state_keys(path: Path) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("select record_key from activation.sync_state").fetchall()
    return {row[0] for row in rows}


@pytest.fixture
def store(tmp_path: Path, env: dict[str, str], sandbox: SandboxHandle) -> Path:
    """Synced while c-0000007 had its old address, then synced again after it changed."""
    path = make_warehouse(tmp_path / "nudge.duckdb")
    add_identifies(path)
    set_email(path, "c-0000007", OLD)
    assert nudge(["sync", "--warehouse", str(path)], env).exit_code == 0
    set_email(path, "c-0000007", CURRENT)
    assert nudge(["sync", "--warehouse", str(path)], env).exit_code == 0
    assert {OLD, CURRENT} <= state_keys(path)
    form_profile(sandbox, OLD)
    form_profile(sandbox, SHARED)
    return path


def test_the_old_address_is_erased_at_the_esp_in_the_state_and_by_a_tombstone(
    store: Path, env: dict[str, str], sandbox: SandboxHandle
) -> None:
    sandbox.clear_requests()

    erased = nudge(["erase", "--email", CURRENT, "--warehouse", str(store)], env)

    assert erased.exit_code == 0, erased.output
    assert "the one asked for and 1 other address of its contact ids" in erased.output
    deleted = [r["body"]["data"]["attributes"]["profile"]["data"] for r in sandbox.requests()]
    assert sorted(d["attributes"]["email"] for d in deleted) == sorted([CURRENT, OLD])
    assert sandbox.profile(CURRENT) is None and sandbox.profile(OLD) is None
    assert sandbox.profile(SHARED) is not None
    assert not {OLD, CURRENT} & state_keys(store)
    with duckdb.connect(str(store), read_only=True) as con:
        (tombstones,) = con.execute("select count(*) from activation.erasure_tombstones").fetchone()
    assert tombstones == 3  # both addresses and the contact id

    # a collector sends the old address again, under a contact id Nudge never saw
    with duckdb.connect(str(store)) as con:
        con.execute(
            f"insert into {TABLE} select * replace ('c-0000099' as contact_id, ? as email)"
            f" from {TABLE} where contact_id = 'c-0000008'",
            [OLD],
        )
    synced = nudge(["sync", "--warehouse", str(store)], env)
    assert synced.exit_code == 0, synced.output
    assert sandbox.profile(OLD) is None
    assert OLD not in {member["email"] for member in sandbox.list_members(LIST_NAME)}


def test_an_address_another_contact_uses_is_left_alone(
    store: Path, env: dict[str, str], sandbox: SandboxHandle
) -> None:
    sandbox.clear_requests()

    erased = nudge(["erase", "--email", "subscriber.8@example.com", "--warehouse", str(store)], env)

    assert erased.exit_code == 0, erased.output
    assert "1 address of its contact ids that another contact uses too" in erased.output
    deleted = [r["body"]["data"]["attributes"]["profile"]["data"] for r in sandbox.requests()]
    assert [d["attributes"]["email"] for d in deleted] == ["subscriber.8@example.com"]
    assert sandbox.profile(SHARED) is not None
    with duckdb.connect(str(store), read_only=True) as con:
        left = con.execute(
            "select user_id from staging.stg_identifies__checked where email = ?", [SHARED]
        ).fetchall()
    assert left == [("c-0000009",)]


def test_export_lists_the_other_addresses_but_not_a_shared_one(
    store: Path, env: dict[str, str]
) -> None:
    documents = {}
    for email in (CURRENT, "subscriber.8@example.com"):
        result = nudge(["export", "--email", email, "--warehouse", str(store)], env)
        assert result.exit_code == 0, result.output
        documents[email] = json.loads(result.output)

    assert documents[CURRENT]["other_emails"] == [OLD]
    assert documents["subscriber.8@example.com"]["other_emails"] == []
    state = documents[CURRENT]["tables"]["activation.sync_state"]
    assert {row["record_key"] for row in state} == {OLD, CURRENT}


@pytest.mark.parametrize("rerun_with", [CURRENT, OLD])
def test_a_rerun_for_an_account_not_reached_erases_the_other_address_there_too(
    store: Path, env: dict[str, str], sandbox: SandboxHandle, rerun_with: str
) -> None:
    elsewhere = {**env, "KLAVIYO_API_KEY": "pk_another_account"}
    first = nudge(["erase", "--email", CURRENT, "--warehouse", str(store)], elsewhere)
    assert first.exit_code == 1 and "not erased" in first.output
    assert {OLD, CURRENT} <= state_keys(store)  # kept for the rerun, as for any address
    assert sandbox.profile(OLD) is not None
    sandbox.clear_requests()

    rerun = nudge(["erase", "--email", rerun_with, "--warehouse", str(store)], env)

    assert rerun.exit_code == 0, rerun.output
    deleted = [r["body"]["data"]["attributes"]["profile"]["data"] for r in sandbox.requests()]
    assert sorted(d["attributes"]["email"] for d in deleted) == sorted([CURRENT, OLD])
    assert sandbox.profile(OLD) is None and sandbox.profile(CURRENT) is None
    assert not {OLD, CURRENT} & state_keys(store)
