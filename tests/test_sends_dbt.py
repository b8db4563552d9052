"""Triggered sends end to end: a generated store, ``triggered_sends`` built by dbt, the due
sends delivered to the Klaviyo sandbox once, the ledger read back by dbt (sent), and a
suppression made in Klaviyo landing in raw.events and suppressing the contact in
contact_profiles on the next build."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from activation.sandbox.klaviyo import start_sandbox
from activation.sends import read_back_suppressions, run_sends
from activation.state import utcnow
from nudge.dbt_runner import run_dbt
from nudge.generator import generate
from tests.sends_helpers import (
    API_KEY,
    events_by_unique_id,
    invalid_requests,
    ledger,
    settings,
    sql,
)

END = datetime(2026, 11, 30)
# the models the sends read, without data and unit tests (other suites run those)
BUILD = [
    "build",
    "--select",
    "+triggered_sends",
    "--exclude",
    "resource_type:test",
    "resource_type:unit_test",
]


def build(warehouse: Path, as_of: datetime) -> None:
    run_dbt(BUILD, warehouse, dbt_vars={"as_of": str(as_of)}, quiet=True)


def test_due_sends_built_by_dbt_reach_klaviyo_once(warehouse: Path) -> None:
    generate(warehouse, contacts=200, seed=7, end=END, days=90)
    build(warehouse, END)
    due = dict(
        sql(
            warehouse,
            "select send_key, esp_metric from triggers.triggered_sends where status = 'due'",
        )
    )
    assert due, "the generated store has due sends as of its last day"

    with start_sandbox(API_KEY) as sandbox:
        klaviyo = settings(sandbox.base_url)
        first = run_sends(warehouse, klaviyo)
        assert (first.status, first.candidates, first.sent, first.skipped) == (
            "success",
            len(due),
            len(due),
            0,
        )
        assert events_by_unique_id(sandbox) == {key: 1 for key in due}
        metrics = {e["unique_id"]: e["metric_name"] for e in sandbox.events()}
        assert metrics == due
        assert invalid_requests(sandbox) == []

        # a contact unsubscribes in Klaviyo; the read-back lands it as a raw event
        sent_to = sql(
            warehouse,
            "select p.email, p.contact_id from triggers.triggered_sends s"
            " join contacts.contact_profiles p on p.contact_id = s.contact_id"
            " where s.status = 'due' order by p.contact_id limit 1",
        )[0]
        sandbox.suppress(sent_to[0], "UNSUBSCRIBE")
        readback = read_back_suppressions(warehouse, klaviyo)
        assert (readback.new, readback.landed_events) == (1, 1)

        # dbt as of now: the ledger makes those sends 'sent'; the profile is suppressed
        build(warehouse, utcnow() + timedelta(minutes=1))
        statuses = dict(
            sql(
                warehouse,
                "select send_key, status from triggers.triggered_sends"
                f" where send_key in ({', '.join('?' for _ in due)})",
                list(due),
            )
        )
        assert statuses == {key: "sent" for key in due}
        assert sql(
            warehouse,
            "select is_suppressed, suppression_reason from contacts.contact_profiles"
            " where contact_id = ?",
            [sent_to[1]],
        ) == [(True, "unsubscribed")]

        sandbox.clear_requests()
        again = run_sends(warehouse, klaviyo)
        assert again.sent == again.candidates - again.skipped  # only newly due sends, if any
        assert not set(due) & {
            r["body"]["data"]["attributes"]["unique_id"]
            for r in sandbox.requests()
            if r["method"] == "POST"
        }
        assert events_by_unique_id(sandbox)[next(iter(due))] == 1
        assert set(events_by_unique_id(sandbox).values()) == {1}
        assert {row[0] for row in ledger(warehouse).values()} <= {"sent", "skipped"}
