"""The Klaviyo subscribers sync end to end, without the generator or dbt: a small DuckDB
table shaped like ``syncs.sync_klaviyo_subscribers``, the real declaration from
``models/marts/syncs/_syncs__exposures.yml``, and the sandbox over HTTP."""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
import yaml

from activation.declarations import SyncDeclaration, load_declarations
from activation.destinations.klaviyo.client import KlaviyoDestination
from activation.destinations.klaviyo.sandbox import SandboxHandle, start_sandbox
from activation.destinations.klaviyo.settings import klaviyo_settings
from activation.errors import ActivationError, DeclarationError
from activation.settings import DestinationSettings, RetryPolicy
from activation.state import RUNS_TABLE, STATE_TABLE
from activation.sync import SyncRunResult, plan_sync, run_sync
from activation.warehouse import Warehouse
from nudge.paths import PROJECT_ROOT
from tests.stamps import stamp_live

API_KEY = "pk_live_do_not_leak_4f9a2c"
EXPOSURES = PROJECT_ROOT / "models" / "marts" / "syncs" / "_syncs__exposures.yml"
MODEL_ID = "model.nudge.sync_klaviyo_subscribers"
TABLE = "syncs.sync_klaviyo_subscribers"
LIST_NAME = "Nudge — Subscribers"
COLUMNS = {
    "contact_id": "varchar",
    "email": "varchar",
    "first_name": "varchar",
    "last_name": "varchar",
    "timezone": "varchar",
    "lifecycle_stage": "varchar",
    "rfm_segment": "varchar",
    "rfm_score": "varchar",
    "orders_count": "integer",
    "lifetime_revenue": "decimal(18,2)",
    "last_order_at": "timestamp",
    "churn_probability": "decimal(9,2)",
    "expected_orders_90d": "decimal(9,2)",
    "predicted_clv_365d": "decimal(18,2)",
    "email_frequency": "varchar",
    "unsubscribed_topics": "varchar",
}
SEGMENTS = ("champions", "loyal", "at_risk", "hibernating", None)
STAGES = ("subscriber", "first_time", "repeat", "loyal", "at_risk", "lapsed")
AUDIENCE = 24
JOB_PATH = "/api/profile-bulk-import-jobs"


# ----------------------------------------------------------------------- builders


def exposure_meta() -> dict[str, Any]:
    """The real ``nudge_sync`` block of the klaviyo_subscribers exposure."""
    document = yaml.safe_load(EXPOSURES.read_text(encoding="utf-8"))
    (exposure,) = [e for e in document["exposures"] if e["name"] == "klaviyo_subscribers"]
    return dict(exposure["config"]["meta"]["nudge_sync"])


def manifest(sync: dict[str, Any], depends_on: list[str] | None = None) -> dict[str, Any]:
    """A dbt manifest as ``load_declarations`` reads it: one exposure, one model node."""
    return {
        "exposures": {
            "exposure.nudge.klaviyo_subscribers": {
                "name": "klaviyo_subscribers",
                "resource_type": "exposure",
                "config": {"enabled": True, "meta": {"nudge_sync": sync}},
                "depends_on": {"nodes": [MODEL_ID] if depends_on is None else depends_on},
            }
        },
        "nodes": {MODEL_ID: {"relation_name": '"nudge"."syncs"."sync_klaviyo_subscribers"'}},
    }


def declaration_with(**changes: Any) -> SyncDeclaration:
    sync = copy.deepcopy(exposure_meta())
    sync.update(changes)
    (declaration,) = load_declarations(manifest(sync))
    return declaration


def subscriber(i: int) -> tuple[Any, ...]:
    segment = SEGMENTS[i % len(SEGMENTS)]
    return (
        f"c-{i:03d}",
        f"Subscriber.{i:03d}@Example.com",
        f"First{i}",
        None if i % 7 == 0 else f"Last{i}",
        "Europe/Paris" if i % 2 else "America/New_York",
        STAGES[i % len(STAGES)],
        segment,
        None if segment is None else f"{5 - i % 5}{4 - i % 4}{1 + i % 5}",
        i % 6,
        Decimal(f"{i * 12.5:.2f}"),
        None if i % 6 == 0 else datetime(2026, 6, 1 + i % 28, 9, 30),
        # predictions, none for a contact without an order
        *(
            (None, None, None)
            if i % 6 == 0
            else (Decimal(f"0.{i:02d}"), Decimal("1.25"), Decimal(f"{i}.50"))
        ),
        # email preferences: a chosen frequency, the topics opted out of
        ("all", "weekly", "monthly")[i % 3],
        '["offers","reminders"]' if i % 4 == 0 else "[]",
    )


def make_warehouse(path: Path, rows: list[tuple[Any, ...]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = ", ".join(f"{name} {kind}" for name, kind in COLUMNS.items())
    with duckdb.connect(str(path)) as con:
        con.execute("create schema syncs")
        con.execute(f"create table {TABLE} ({columns})")
    insert(path, *rows)
    stamp_live(path, TABLE)
    return path


def sql(path: Path, statement: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path)) as con:
        return con.execute(statement, params or []).fetchall()


def update(path: Path, contact_id: str | None, **values: Any) -> None:
    """Change the audience table: ``values`` on one contact (or every row when None)."""
    assignments = ", ".join(f"{column} = ?" for column in values)
    where = "" if contact_id is None else " where contact_id = ?"
    params = [*values.values(), *([] if contact_id is None else [contact_id])]
    sql(path, f"update {TABLE} set {assignments}{where}", params)


def delete(path: Path, *contact_ids: str) -> None:
    sql(path, f"delete from {TABLE} where list_contains(?, contact_id)", [list(contact_ids)])


def insert(path: Path, *rows: tuple[Any, ...]) -> None:
    incoming = pa.Table.from_pylist([dict(zip(COLUMNS, row, strict=True)) for row in rows])
    with duckdb.connect(str(path)) as con:
        con.register("incoming", incoming)  # much faster than executemany
        con.execute(f"insert into {TABLE} by name select * from incoming")


def audience(path: Path) -> set[str]:
    return {row[0].lower() for row in sql(path, f"select email from {TABLE}")}


def member_emails(sandbox: SandboxHandle) -> set[str]:
    return {member["email"] for member in sandbox.list_members(LIST_NAME)}


def writes(sandbox: SandboxHandle) -> list[dict[str, Any]]:
    return [entry for entry in sandbox.requests() if entry["method"] != "GET"]


def sent_profiles(sandbox: SandboxHandle) -> list[dict[str, Any]]:
    """Every profile in every bulk import job the sandbox accepted, in order."""
    return [
        profile
        for entry in writes(sandbox)
        if entry["path"] == JOB_PATH and entry["status"] == 202
        for profile in entry["body"]["data"]["attributes"]["profiles"]["data"]
    ]


def state_rows(path: Path) -> dict[str, tuple[Any, ...]]:
    rows = sql(path, f"select record_key, row_hash, status, last_error from {STATE_TABLE}")
    return {row[0]: row[1:] for row in rows}


# ----------------------------------------------------------------------- fixtures


@pytest.fixture
def declaration() -> SyncDeclaration:
    (loaded,) = load_declarations(manifest(exposure_meta()))
    return loaded


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return make_warehouse(tmp_path / "nudge.duckdb", [subscriber(i) for i in range(AUDIENCE)])


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    handle = start_sandbox(API_KEY)
    yield handle
    handle.stop()
    # whatever a test did, every request the client sent matched the OpenAPI spec
    assert [e for e in handle.requests() if e["validation"] == "failed"] == []


def settings_for(base_url: str, key: str = API_KEY, **overrides: Any) -> DestinationSettings:
    overrides.setdefault("job_poll_interval", 0.01)
    overrides.setdefault("retry", RetryPolicy(backoff_base=0.01, backoff_max=0.05))
    env = {"KLAVIYO_BASE_URL": base_url, "KLAVIYO_API_KEY": key}
    return klaviyo_settings(env, **overrides)


@pytest.fixture
def settings(sandbox: SandboxHandle) -> DestinationSettings:
    return settings_for(sandbox.base_url)


def sync(
    declaration: SyncDeclaration, warehouse: Path, settings: DestinationSettings
) -> SyncRunResult:
    return run_sync(declaration, warehouse, settings)


def counts(result: SyncRunResult) -> dict[str, int]:
    names = ("added", "changed", "removed", "retried", "unchanged", "failed")
    return {name: getattr(result, name) for name in names if getattr(result, name)}


# -------------------------------------------------------------------- first sync


def test_first_sync_puts_the_audience_in_the_list_with_rfm_and_lifecycle(
    declaration: SyncDeclaration,
    warehouse: Path,
    sandbox: SandboxHandle,
    settings: DestinationSettings,
) -> None:
    result = sync(declaration, warehouse, settings)

    assert (result.status, counts(result)) == ("success", {"added": AUDIENCE})
    assert member_emails(sandbox) == audience(warehouse)
    profiles = {profile["email"]: profile for profile in sandbox.profiles()}
    assert len(profiles) == AUDIENCE == sandbox.state()["profiles"]
    for row in (subscriber(i) for i in range(AUDIENCE)):
        profile = profiles[row[1].lower()]
        assert profile["external_id"] == row[0]
        assert (profile["first_name"], profile["last_name"]) == (row[2], row[3])
        assert profile["location"] == {"timezone": row[4]}
        assert profile["properties"] == {
            "lifecycle_stage": row[5],
            "rfm_segment": row[6],
            "rfm_score": row[7],
            "orders_count": row[8],
            "lifetime_revenue": float(row[9]),
            "last_order_at": None if row[10] is None else f"{row[10].isoformat()}+00:00",
            # null without a prediction
            "nudge_churn_probability": None if row[11] is None else float(row[11]),
            "nudge_expected_orders_90d": None if row[12] is None else float(row[12]),
            "nudge_predicted_clv_365d": None if row[13] is None else float(row[13]),
            "nudge_email_frequency": row[14],
            "nudge_unsubscribed_topics": json.loads(row[15]),
        }
    # one bulk import job into the list; no per-profile calls
    assert [(e["method"], e["path"]) for e in writes(sandbox)] == [
        ("POST", "/api/lists"),
        ("POST", JOB_PATH),
    ]
    assert result.write_calls == 2 and result.api_calls == len(sandbox.requests())

    state = state_rows(warehouse)
    assert set(state) == audience(warehouse)
    assert {row[1:] for row in state.values()} == {("synced", None)}
    assert all(row[0] for row in state.values())
    (run,) = sql(warehouse, f"select status, added, failed, write_calls from {RUNS_TABLE}")
    assert run == ("success", AUDIENCE, 0, 2)


def test_state_is_kept_per_destination_account(
    declaration: SyncDeclaration,
    warehouse: Path,
    sandbox: SandboxHandle,
    settings: DestinationSettings,
) -> None:
    """Synced to one account, the same declaration pointed at another sends everything."""
    sync(declaration, warehouse, settings)
    other = start_sandbox("another-account-key")
    try:
        elsewhere = sync(
            declaration, warehouse, settings_for(other.base_url, "another-account-key")
        )
        assert counts(elsewhere) == {"added": AUDIENCE}
        assert {member["email"] for member in other.list_members(LIST_NAME)} == audience(warehouse)
    finally:
        other.stop()
    assert counts(sync(declaration, warehouse, settings)) == {"unchanged": AUDIENCE}
    assert API_KEY not in repr(sql(warehouse, f"select * from {STATE_TABLE}"))


def test_batches_respect_the_declared_batch_size(
    warehouse: Path, sandbox: SandboxHandle, settings: DestinationSettings
) -> None:
    result = sync(declaration_with(batch_size=10), warehouse, settings)
    jobs = [e for e in writes(sandbox) if e["path"] == JOB_PATH]
    assert [len(e["body"]["data"]["attributes"]["profiles"]["data"]) for e in jobs] == [10, 10, 4]
    assert result.added == AUDIENCE and member_emails(sandbox) == audience(warehouse)


def test_the_client_waits_for_slow_import_jobs_and_gives_up_at_job_timeout(
    declaration: SyncDeclaration, warehouse: Path
) -> None:
    with start_sandbox(API_KEY, import_delay=0.3) as slow:
        impatient = settings_for(slow.base_url, job_timeout=0.1)
        timed_out = sync(declaration, warehouse, impatient)
        assert (timed_out.status, timed_out.failed) == ("partial", AUDIENCE)
        assert "not finished after" in next(iter(timed_out.errors.values()))

        result = sync(declaration, warehouse, settings_for(slow.base_url))
        assert (result.status, result.retried) == ("success", AUDIENCE)
        polls = [e for e in slow.requests() if e["path"].startswith(f"{JOB_PATH}/")]
        assert len(polls) >= 4  # queued, queued, …, complete
        assert slow.wait_for_jobs(10)
        assert member_emails(slow) == audience(warehouse)
        assert slow.state()["profiles"] == AUDIENCE


def test_a_dry_run_plans_without_calling_the_api(
    declaration: SyncDeclaration,
    warehouse: Path,
    sandbox: SandboxHandle,
    settings: DestinationSettings,
) -> None:
    planned = run_sync(declaration, warehouse, settings, dry_run=True)
    assert (planned.status, planned.added, planned.api_calls) == ("planned", AUDIENCE, 0)
    assert sandbox.requests() == []
    sync(declaration, warehouse, settings)
    with Warehouse(warehouse) as opened:
        assert plan_sync(declaration, opened, settings.target) == {"unchanged": AUDIENCE}


# -------------------------------------------------------------- incremental runs


def test_a_second_run_without_changes_makes_no_write_call(
    declaration: SyncDeclaration,
    warehouse: Path,
    sandbox: SandboxHandle,
    settings: DestinationSettings,
) -> None:
    sync(declaration, warehouse, settings)
    sandbox.clear_requests()

    again = sync(declaration, warehouse, settings)

    assert (again.status, counts(again)) == ("success", {"unchanged": AUDIENCE})
    assert (again.write_calls, again.api_calls) == (0, 0)
    assert sandbox.requests() == []  # not even a read
    assert sandbox.state()["profiles"] == AUDIENCE
    assert member_emails(sandbox) == audience(warehouse)
    runs = sql(
        warehouse, f"select status, unchanged, write_calls from {RUNS_TABLE} order by started_at"
    )
    assert runs[-1] == ("success", AUDIENCE, 0) and len(runs) == 2


def test_a_changed_row_sends_exactly_one_update(
    declaration: SyncDeclaration,
    warehouse: Path,
    sandbox: SandboxHandle,
    settings: DestinationSettings,
) -> None:
    sync(declaration, warehouse, settings)
    before = state_rows(warehouse)["subscriber.003@example.com"][0]
    sandbox.clear_requests()
    update(warehouse, "c-003", rfm_segment="cant_lose_them", lifecycle_stage="at_risk")

    result = sync(declaration, warehouse, settings)

    assert counts(result) == {"changed": 1, "unchanged": AUDIENCE - 1}
    (sent,) = sent_profiles(sandbox)
    assert sent["attributes"]["email"] == "Subscriber.003@Example.com"
    assert [e["path"] for e in writes(sandbox)] == [JOB_PATH]
    profile = sandbox.profile("subscriber.003@example.com")
    assert profile is not None
    assert profile["properties"]["rfm_segment"] == "cant_lose_them"
    assert profile["properties"]["lifecycle_stage"] == "at_risk"
    assert state_rows(warehouse)["subscriber.003@example.com"][0] != before
    assert sandbox.state()["profiles"] == AUDIENCE


def test_a_row_leaving_the_audience_is_removed_from_the_list_and_can_come_back(
    declaration: SyncDeclaration,
    warehouse: Path,
    sandbox: SandboxHandle,
    settings: DestinationSettings,
) -> None:
    sync(declaration, warehouse, settings)
    gone = subscriber(5)
    delete(warehouse, gone[0])
    sandbox.clear_requests()

    result = sync(declaration, warehouse, settings)

    assert counts(result) == {"removed": 1, "unchanged": AUDIENCE - 1}
    assert member_emails(sandbox) == audience(warehouse)
    assert gone[1].lower() not in member_emails(sandbox)
    assert sandbox.state()["profiles"] == AUDIENCE  # the profile (and its consent) stays
    (removal,) = writes(sandbox)
    assert removal["method"] == "DELETE" and len(removal["body"]["data"]) == 1
    assert state_rows(warehouse)[gone[1].lower()][1] == "removed"

    assert sync(declaration, warehouse, settings).write_calls == 0  # removal is settled

    insert(warehouse, gone)
    back = sync(declaration, warehouse, settings)
    assert counts(back) == {"added": 1, "unchanged": AUDIENCE - 1}
    assert member_emails(sandbox) == audience(warehouse)
    assert sandbox.state()["profiles"] == AUDIENCE


def test_upsert_mode_leaves_departed_rows_alone(
    warehouse: Path, sandbox: SandboxHandle, settings: DestinationSettings
) -> None:
    declaration = declaration_with(object="profiles", mode="upsert", list_name=None)
    assert sync(declaration, warehouse, settings).added == AUDIENCE
    assert sandbox.state()["lists"] == 0
    delete(warehouse, "c-001")
    sandbox.clear_requests()
    result = sync(declaration, warehouse, settings)
    assert (result.removed, result.write_calls, sandbox.state()["profiles"]) == (0, 0, AUDIENCE)


def test_more_rows_than_one_warehouse_fetch_stream_through_in_batches(
    tmp_path: Path, sandbox: SandboxHandle, settings: DestinationSettings
) -> None:
    big = make_warehouse(tmp_path / "big.duckdb", [subscriber(i) for i in range(1_200)])
    declaration = declaration_with(batch_size=500)
    result = sync(declaration, big, settings)
    jobs = [e for e in writes(sandbox) if e["path"] == JOB_PATH]
    assert [len(e["body"]["data"]["attributes"]["profiles"]["data"]) for e in jobs] == [
        500,
        500,
        200,
    ]
    assert (result.added, sandbox.state()["profiles"], len(state_rows(big))) == (1_200,) * 3
    assert sync(declaration, big, settings).write_calls == 0


# --------------------------------------------------------------------- failures


def test_a_rejected_row_is_recorded_as_failed_and_retried_next_run(
    declaration: SyncDeclaration,
    warehouse: Path,
    sandbox: SandboxHandle,
    settings: DestinationSettings,
) -> None:
    update(warehouse, "c-007", email="not-an-email")

    first = sync(declaration, warehouse, settings)

    assert (first.status, first.added, first.failed) == ("partial", AUDIENCE, 1)
    assert "Invalid email" in first.errors["not-an-email"]
    old_hash, status, reason = state_rows(warehouse)["not-an-email"]
    assert (old_hash, status) == (None, "failed") and "Invalid email" in reason
    assert member_emails(sandbox) == audience(warehouse) - {"not-an-email"}
    (run,) = sql(warehouse, f"select status, failed from {RUNS_TABLE}")
    assert run == ("partial", 1)

    sandbox.clear_requests()
    second = sync(declaration, warehouse, settings)
    assert counts(second) == {"retried": 1, "failed": 1, "unchanged": AUDIENCE - 1}
    assert [p["attributes"]["email"] for p in sent_profiles(sandbox)] == ["not-an-email"]

    update(warehouse, "c-007", email="fixed@example.com")
    third = sync(declaration, warehouse, settings)
    assert (third.status, third.added, third.failed) == ("success", 1, 0)
    assert "not-an-email" not in state_rows(warehouse)  # never confirmed: nothing to undo
    assert member_emails(sandbox) == audience(warehouse)


def test_a_batch_that_keeps_failing_does_not_advance_the_hash(
    declaration: SyncDeclaration,
    warehouse: Path,
    sandbox: SandboxHandle,
    settings: DestinationSettings,
) -> None:
    sandbox.inject_fault(503, method="POST", path=f"^{JOB_PATH}$", times=None)

    failed = sync(declaration, warehouse, settings)

    assert (failed.status, failed.failed) == ("partial", AUDIENCE)
    assert len([e for e in sandbox.requests() if e["fault"]]) == settings.retry.max_attempts
    state = state_rows(warehouse)
    assert {row[:2] for row in state.values()} == {(None, "failed")}
    assert all("HTTP 503 after 5 attempts" in row[2] for row in state.values())
    assert sandbox.state()["profiles"] == 0

    sandbox.clear_faults()
    healed = sync(declaration, warehouse, settings)
    assert (healed.status, healed.retried, healed.failed) == ("success", AUDIENCE, 0)
    assert member_emails(sandbox) == audience(warehouse)


def test_a_failed_removal_keeps_the_member_and_is_retried(
    declaration: SyncDeclaration,
    warehouse: Path,
    sandbox: SandboxHandle,
    settings: DestinationSettings,
) -> None:
    sync(declaration, warehouse, settings)
    confirmed = state_rows(warehouse)["subscriber.009@example.com"][0]
    delete(warehouse, "c-009")
    sandbox.inject_fault(503, method="DELETE", times=None)

    failed = sync(declaration, warehouse, settings)

    assert (failed.status, failed.removed, failed.failed) == ("partial", 1, 1)
    assert state_rows(warehouse)["subscriber.009@example.com"][:2] == (confirmed, "failed")
    assert "subscriber.009@example.com" in member_emails(sandbox)
    sandbox.clear_faults()
    healed = sync(declaration, warehouse, settings)
    assert (healed.status, healed.removed, healed.failed) == ("success", 1, 0)
    assert member_emails(sandbox) == audience(warehouse)
    assert state_rows(warehouse)["subscriber.009@example.com"][1] == "removed"


def test_import_errors_that_name_no_row_confirm_nothing_in_the_batch(
    declaration: SyncDeclaration,
    warehouse: Path,
    sandbox: SandboxHandle,
    settings: DestinationSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(KlaviyoDestination, "_import_errors", lambda *args: {})
    update(warehouse, "c-002", email="nope")

    result = sync(declaration, warehouse, settings)

    assert (result.status, result.failed) == ("partial", AUDIENCE)
    assert {row[:2] for row in state_rows(warehouse).values()} == {(None, "failed")}
    assert all("1 profiles failed" in row[2] for row in state_rows(warehouse).values())
    monkeypatch.undo()
    again = sync(declaration, warehouse, settings)
    assert (again.retried, again.failed) == (AUDIENCE, 1)


def test_a_429_is_retried_only_after_retry_after(
    declaration: SyncDeclaration,
    warehouse: Path,
    sandbox: SandboxHandle,
    settings: DestinationSettings,
) -> None:
    sandbox.inject_fault(429, method="POST", path=f"^{JOB_PATH}$", retry_after=1, times=1)

    result = sync(declaration, warehouse, settings)

    assert (result.status, result.rate_limited, result.added) == ("success", 1, AUDIENCE)
    log = sandbox.requests()
    (throttled,) = [e for e in log if e["status"] == 429]
    after = [e for e in log if e["seq"] > throttled["seq"]]
    assert after and all(e["time"] >= throttled["time"] + 1.0 for e in after)
    assert (after[0]["method"], after[0]["path"], after[0]["status"]) == ("POST", JOB_PATH, 202)
    assert member_emails(sandbox) == audience(warehouse)


def test_a_retry_after_longer_than_the_run_allows_fails_the_batch_without_retrying(
    declaration: SyncDeclaration, warehouse: Path, sandbox: SandboxHandle
) -> None:
    settings = settings_for(sandbox.base_url, retry=RetryPolicy(max_retry_after=2))
    sandbox.inject_fault(429, method="POST", path=f"^{JOB_PATH}$", retry_after=30, times=1)
    result = sync(declaration, warehouse, settings)
    assert (result.failed, result.rate_limited) == (AUDIENCE, 1)
    assert "Retry-After: 30" in next(iter(result.errors.values()))
    assert len([e for e in sandbox.requests() if e["path"] == JOB_PATH]) == 1


def test_5xx_and_timeouts_are_retried_and_profiles_stay_unique(
    declaration: SyncDeclaration, warehouse: Path, sandbox: SandboxHandle
) -> None:
    settings = settings_for(sandbox.base_url, read_timeout=0.4)
    sandbox.inject_fault(None, method="GET", path="^/api/lists$", delay=0.8)  # read timeout
    sandbox.inject_fault(502, method="POST", path="^/api/lists$", times=1)
    sandbox.inject_fault(503, method="GET", path=f"^{JOB_PATH}/[^/]+$", times=2)
    # the job POST times out after the sandbox accepted it: the retry submits it again
    sandbox.inject_fault(None, method="POST", path=f"^{JOB_PATH}$", delay=0.8)

    result = sync(declaration, warehouse, settings)

    assert (result.status, result.added, result.failed) == ("success", AUDIENCE, 0)
    assert result.api_calls > len({(e["method"], e["path"]) for e in sandbox.requests()})
    # the timed-out POST is still being answered: once it lands, a second job runs
    deadline = time.monotonic() + 5
    while sandbox.state()["import_jobs"] < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox.wait_for_jobs(10)
    assert sandbox.state()["import_jobs"] >= 2  # more if a loaded machine timed out others
    assert sandbox.state()["profiles"] == AUDIENCE  # each profile once
    assert sandbox.state()["lists"] == 1
    assert member_emails(sandbox) == audience(warehouse)


def test_a_list_create_that_timed_out_is_not_sent_again_before_checking(
    declaration: SyncDeclaration, warehouse: Path, sandbox: SandboxHandle
) -> None:
    """Lists have no idempotency key: the create times out but lands 0.5 s later; the
    client reads the name again after a read timeout's pause and uses that list."""
    settings = settings_for(sandbox.base_url, read_timeout=0.3)
    sandbox.inject_fault(None, method="POST", path="^/api/lists$", delay=0.5)

    result = sync(declaration, warehouse, settings)

    assert (result.status, result.added, result.failed) == ("success", AUDIENCE, 0)

    def creates() -> list[dict[str, Any]]:
        return [e for e in sandbox.requests() if (e["method"], e["path"]) == ("POST", "/api/lists")]

    deadline = time.monotonic() + 5  # the sandbox logs a request once it has answered it
    while not any(e["fault"] for e in creates()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [e["status"] for e in creates()] == [201]
    assert sandbox.state()["lists"] == 1
    assert member_emails(sandbox) == audience(warehouse)


def test_of_two_lists_with_the_name_every_run_uses_the_oldest(
    declaration: SyncDeclaration, warehouse: Path, sandbox: SandboxHandle
) -> None:
    settings = settings_for(sandbox.base_url)
    destination = KlaviyoDestination(settings)
    try:
        first = destination.ensure_list(LIST_NAME)
        time.sleep(1.1)  # a later 'created' (Klaviyo stamps whole seconds)
        destination.client.request(
            "POST", "/api/lists", body={"data": {"type": "list", "attributes": {"name": LIST_NAME}}}
        )
        assert [destination.ensure_list(LIST_NAME) for _ in range(3)] == [first] * 3
    finally:
        destination.close()
    assert sandbox.state()["lists"] == 2


def test_random_429s_and_5xx_still_converge(
    warehouse: Path, sandbox: SandboxHandle, settings: DestinationSettings
) -> None:
    declaration = declaration_with(batch_size=5)  # more calls, more chances to fail
    sandbox.inject_fault(429, path="^/api/", retry_after=0, share=0.3, times=None)
    sandbox.inject_fault(500, path="^/api/", share=0.2, times=None)
    results = [sync(declaration, warehouse, settings)]
    delete(warehouse, "c-001", "c-002")
    update(warehouse, "c-010", rfm_segment="new")
    for _ in range(3):  # a batch that ran out of attempts is retried by the next run
        results.append(sync(declaration, warehouse, settings))
        if not results[-1].failed:
            break
    sandbox.clear_faults()

    assert sync(declaration, warehouse, settings).write_calls == 0
    assert member_emails(sandbox) == audience(warehouse)
    assert sandbox.state()["profiles"] == AUDIENCE
    faults = [e["status"] for e in sandbox.requests() if e["fault"]]
    assert faults.count(429) == sum(r.rate_limited for r in results) > 0
    assert faults.count(500) > 0


# ------------------------------------------------------------------------ secrets


def test_the_api_key_never_reaches_logs_errors_or_state(
    declaration: SyncDeclaration,
    warehouse: Path,
    sandbox: SandboxHandle,
    settings: DestinationSettings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    update(warehouse, "c-004", email="broken")
    sandbox.inject_fault(429, retry_after=0, times=2)
    result = sync(declaration, warehouse, settings)
    assert result.failed == 1 and result.rate_limited == 2

    wrong_key = "pk_wrong_but_secret_77"
    with pytest.raises(ActivationError) as refused:
        sync(declaration, warehouse, settings_for(sandbox.base_url, key=wrong_key))
    assert "HTTP 401" in str(refused.value)
    closed = settings_for(
        "http://127.0.0.1:9", retry=RetryPolicy(max_attempts=2, backoff_base=0.01)
    )
    update(warehouse, None, first_name="X")
    with pytest.raises(ActivationError) as unreachable:
        sync(declaration, warehouse, closed)
    assert "ConnectionError" in str(unreachable.value)

    evidence = [
        caplog.text,
        str(refused.value),
        repr(refused.value),
        str(unreachable.value),
        repr(settings),
        str(settings.api_key),
        repr(result),
        repr(sql(warehouse, f"select * from {STATE_TABLE}")),
        repr(sql(warehouse, f"select * from {RUNS_TABLE}")),
        repr(sandbox.requests()),
    ]
    assert "retry" in caplog.text and "broken" in caplog.text  # the logs did say something
    for text in evidence:
        assert API_KEY not in text and wrong_key not in text


# ------------------------------------------------------------------- declarations


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"destination": "hubspot"},
            "meta.nudge_sync.destination must be 'klaviyo', 'braze', 'mailchimp', 'customerio' "
            "or 'webhook', got 'hubspot'",
        ),
        (
            {"identifier": None},
            "meta.nudge_sync.identifier is required (e.g. identifier: {column: email})",
        ),
        (
            {"identifier": {"colum": "email"}},
            "colum is not a known setting (check the spelling); known settings here: column",
        ),
        (
            {"list_name": None},
            "meta.nudge_sync.list_name is required when object is 'list_members'",
        ),
        ({"mode": "sync"}, "meta.nudge_sync.mode must be 'upsert' or 'mirror', got 'sync'"),
        (
            {"fields": {"attributes": {"rfm": "rfm_segment"}}},
            "fields.attributes.rfm is not a klaviyo profile attribute",
        ),
        ({"schedule": "hourly"}, "schedule must be a 5-field cron expression"),
    ],
)
def test_a_bad_declaration_names_the_field_and_the_fix(
    change: dict[str, Any], expected: str
) -> None:
    sync_block = {**exposure_meta(), **change}
    sync_block = {key: value for key, value in sync_block.items() if value is not None}
    with pytest.raises(DeclarationError) as raised:
        load_declarations(manifest(sync_block))
    assert "exposure klaviyo_subscribers" in str(raised.value)
    assert expected in str(raised.value)


def test_a_declaration_without_a_model_asks_for_depends_on() -> None:
    with pytest.raises(DeclarationError, match=r"depends_on must name exactly one model"):
        load_declarations(manifest(exposure_meta(), depends_on=[]))


def test_a_column_the_table_lacks_fails_before_any_call(
    warehouse: Path, sandbox: SandboxHandle, settings: DestinationSettings
) -> None:
    declaration = declaration_with(
        identifier={"column": "email_address"},
        fields={"properties": {"rfm_segment": "segment"}},
    )
    with pytest.raises(DeclarationError) as raised:
        sync(declaration, warehouse, settings)
    message = str(raised.value)
    assert "meta.nudge_sync.identifier.column refers to column 'email_address'" in message
    assert "meta.nudge_sync.fields.properties.rfm_segment refers to column 'segment'" in message
    assert "columns: contact_id, email," in message
    assert sandbox.requests() == []


def test_a_missing_sync_table_says_to_build_it(
    declaration: SyncDeclaration, tmp_path: Path, settings: DestinationSettings
) -> None:
    with pytest.raises(DeclarationError, match=r"build it with dbt first"):
        sync(declaration, tmp_path / "empty.duckdb", settings)


def test_missing_settings_name_the_variable() -> None:
    with pytest.raises(ActivationError, match=r"KLAVIYO_API_KEY is not set"):
        klaviyo_settings({"KLAVIYO_BASE_URL": "http://127.0.0.1:1"})
    with pytest.raises(ActivationError, match=r"KLAVIYO_BASE_URL must start with http"):
        klaviyo_settings({"KLAVIYO_API_KEY": "k", "KLAVIYO_BASE_URL": "127.0.0.1:8765"})
