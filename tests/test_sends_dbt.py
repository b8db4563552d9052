"""Triggered sends end to end: a generated store, ``triggered_sends`` built by dbt, the due
sends delivered to the Klaviyo sandbox once, the ledger read back by dbt (sent), and a
suppression made in Klaviyo landing in raw.events and suppressing the contact in
contact_profiles on the next build."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from activation.destinations.klaviyo.sandbox import start_sandbox
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

# the models the sends read (the send-time gate reads the build's guardrail settings in
# send_policy), without data and unit tests (other suites run those)
BUILD = [
    "build",
    "--select",
    "+triggered_sends",
    "send_policy",
    "--exclude",
    "resource_type:test",
    "resource_type:unit_test",
]


# no quiet hours, so what the gate sends does not depend on the hour the test runs at
NO_QUIET_HOURS = {"quiet_hours_start": 0, "quiet_hours_end": 0}


def build(warehouse: Path, as_of: datetime) -> None:
    run_dbt(BUILD, warehouse, dbt_vars={"as_of": str(as_of), **NO_QUIET_HOURS}, quiet=True)


def test_due_sends_built_by_dbt_reach_klaviyo_once(warehouse: Path) -> None:
    # the store's history ends now and dbt builds as of the moment it starts: activation
    # refuses a replayed build (activation/build_stamps.py); a live build is what a
    # scheduled run makes, and a busy machine can take minutes between the two
    generate(warehouse, contacts=200, seed=7, end=utcnow().replace(microsecond=0), days=90)
    build(warehouse, utcnow().replace(microsecond=0))
    due = dict(
        sql(
            warehouse,
            "select send_key, esp_metric from triggers.triggered_sends where status = 'due'",
        )
    )
    assert due, "the generated store has due sends as of its last day"
    capped = sql(warehouse, "select count(*) from triggers.triggered_sends where status = 'capped'")

    with start_sandbox(API_KEY) as sandbox:
        klaviyo = settings(sandbox.base_url)
        first = run_sends(warehouse, klaviyo)
        # the gate sends what the build found due and caps again what it capped
        assert (
            first.status,
            first.candidates,
            first.sent,
            first.capped,
            first.skipped,
            first.deferred,
            first.expired,
        ) == ("success", len(due) + capped[0][0], len(due), capped[0][0], 0, 0, 0)
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
        # the gate's own ledger columns reach dbt (stg_send_ledger reads them when present)
        judged = sql(
            warehouse,
            "select count(*) from staging.stg_send_ledger as l"
            " join triggers.triggered_sends as s on l.send_key = s.send_key"
            " where l.status = 'sent' and l.due_at = s.due_at and l.timezone = s.timezone",
        )
        assert judged == [(len(due),)]
        assert sql(
            warehouse,
            "select is_suppressed, suppression_reason from contacts.contact_profiles"
            " where contact_id = ?",
            [sent_to[1]],
        ) == [(True, "unsubscribed")]

        sandbox.clear_requests()
        again = run_sends(warehouse, klaviyo)
        held = again.skipped + again.capped + again.deferred + again.expired
        assert again.sent == again.candidates - held  # only newly due sends, if any
        assert not set(due) & {
            r["body"]["data"]["attributes"]["unique_id"]
            for r in sandbox.requests()
            if r["method"] == "POST"
        }
        assert events_by_unique_id(sandbox)[next(iter(due))] == 1
        assert set(events_by_unique_id(sandbox).values()) == {1}
        assert {row[0] for row in ledger(warehouse).values()} <= {"sent", "skipped", "capped"}
