"""Every Klaviyo request the project makes validates against the official OpenAPI spec
(activation/destinations/klaviyo/specs/klaviyo-openapi-2026-07-15.json), and the rate limits
the Klaviyo destination declares are the spec's ``x-klaviyo-ratelimit`` of each endpoint it
calls.

A demo-like run against the sandbox (engagement simulated, Klaviyo's default limits): an
audience sync into a list, a mirror run with removals and changes, triggered sends as
events, the suppression read-back (which finds what the simulated engagement suppressed)
and a GDPR erasure. Then every request in the sandbox's log is checked: validated live
("passed", none "skipped" or "failed"), matched to a spec operation, and validated again
offline from the log.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from activation.destinations.klaviyo.client import RATE_LIMITS, KlaviyoDestination
from activation.destinations.klaviyo.sandbox import EngagementConfig, start_sandbox
from activation.destinations.klaviyo.sandbox.ratelimits import operation_for, operations
from activation.destinations.klaviyo.sandbox.validation import recorded_request, request_errors
from activation.runs import erase_contact
from activation.sends.readback import read_back_suppressions
from activation.sends.runner import run_sends
from activation.sync import run_sync
from tests import sends_helpers
from tests.stamps import stamp_live
from tests.test_sync_under_faults import TABLE, audience_sql, declaration

SENDS = 40


@pytest.fixture(scope="module")
def request_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[dict[str, Any]]]:
    path = tmp_path_factory.mktemp("conformance") / "nudge.duckdb"
    contacts = [f"c-{i:07d}" for i in range(SENDS)]
    sends_helpers.make_warehouse(
        path,
        [sends_helpers.send_row(contact) for contact in contacts],
        [sends_helpers.profile_row(contact) for contact in contacts],
    )
    with duckdb.connect(str(path)) as con:
        con.execute("create schema syncs")
        con.execute(f"create table {TABLE} as {audience_sql(60)}")
    stamp_live(path, TABLE)
    # every send bounces, unsubscribes or complains: the read-back has something to read
    engagement = EngagementConfig(seed=5, bounce_rate=0.3, unsubscribe_rate=0.3, spam_rate=0.3)
    with start_sandbox(sends_helpers.API_KEY, engagement=engagement) as sandbox:
        settings = sends_helpers.settings(sandbox.base_url)
        sync = declaration(25)
        assert run_sync(sync, path, settings).status == "success"
        with duckdb.connect(str(path)) as con:
            con.execute(f"delete from {TABLE} where contact_id in ('c-0000001', 'c-0000002')")
            con.execute(f"update {TABLE} set first_name = 'Changed' where contact_id = 'c-0000003'")
        assert run_sync(sync, path, settings).removed == 2
        sent = run_sends(path, settings)
        assert sent.sent == SENDS
        readback = read_back_suppressions(path, settings)
        assert readback.new > 0  # suppressions the simulated engagement made
        erased = erase_contact(path, "subscriber.5@example.com", lambda _: settings)
        assert erased.complete and erased.erased == [settings.target]
        yield sandbox.requests()


def test_the_run_called_every_kind_of_endpoint(request_log: list[dict[str, Any]]) -> None:
    called = {operation_id(entry) for entry in request_log}
    assert {
        "get_lists",
        "create_list",
        "bulk_import_profiles",
        "get_bulk_import_profiles_job",
        "get_profiles",
        "remove_profiles_from_list",
        "create_event",
        "request_profile_deletion",
    } <= called


def test_every_request_passed_validation_against_the_spec(
    request_log: list[dict[str, Any]],
) -> None:
    outcomes = {(entry["method"], entry["path"], entry["validation"]) for entry in request_log}
    assert {validation for _, _, validation in outcomes} == {"passed"}, outcomes
    assert all(entry["status"] < 400 for entry in request_log)


def test_every_request_is_a_spec_operation_and_revalidates_offline(
    request_log: list[dict[str, Any]],
) -> None:
    unknown = [f"{e['method']} {e['path']}" for e in request_log if operation_id(e) is None]
    assert unknown == []
    failures = {
        f"{entry['method']} {entry['path']}": errors
        for entry in request_log
        if (errors := request_errors(recorded_request(entry)))
    }
    assert failures == {}
    assert all(entry["headers"].get("revision") == "2026-07-15" for entry in request_log)


def test_declared_rate_limits_are_the_specs_for_every_endpoint_called(
    request_log: list[dict[str, Any]],
) -> None:
    by_operation = {operation.operation_id: operation for operation in operations()}
    for limit in RATE_LIMITS:
        sample = re.sub(r"\[\^/\]\+", "X1", limit.path)
        operation = operation_for(limit.method, sample)
        assert operation is not None, limit
        assert limit.name == operation.operation_id
        declared = sorted((window.limit, window.seconds) for window in limit.windows)
        documented = sorted((count, seconds) for _, count, seconds in operation.windows)
        assert declared == documented, limit.name
        assert by_operation[limit.name] == operation
    declared_names = {limit.name for limit in KlaviyoDestination.rate_limits}
    assert {operation_id(entry) for entry in request_log} <= declared_names


def operation_id(entry: dict[str, Any]) -> str | None:
    operation = operation_for(entry["method"], entry["path"])
    return operation.operation_id if operation else None
