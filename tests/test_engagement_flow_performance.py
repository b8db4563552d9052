"""Flow performance is measured for Customer.io and Mailchimp as for Klaviyo: one trigger's
sends go to Customer.io, another's to Mailchimp (each contract server simulating the
emails' engagement), both engagement pulls land it, and ``performance.flow_performance``
built over it counts, per trigger and variant, the sends and the delivered, opened,
clicked and bounced emails each ESP holds."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb

from activation.destinations.mailchimp.client import subscriber_hash
from activation.engagement import pull_engagement
from activation.sends import run_sends
from activation.state import utcnow
from nudge.dbt_runner import run_dbt
from nudge.raw_contract import create_table_sql
from tests.fixtures.sends_as_built import mark_ledger_sends_sent
from tests.sends_helpers import email, make_warehouse, profile_row
from tests.test_engagement_other_esps import (
    CONTACTS,
    ENGAGEMENT,
    Esp,
    customerio,
    mailchimp,
    sends_of_two_triggers,
)

MODELS = (
    "+int_orders_netted +int_consent_states_derived +int_email_events_parsed"
    " int_sends_engagement_summarized"
    " int_orders_attributed flow_performance"
)
CUSTOMERIO_TRIGGER, MAILCHIMP_TRIGGER = "cart_abandonment", "welcome"
Counts = dict[tuple[str, str], Counter[str]]  # (trigger_key, variant) -> measure -> count


def _customerio_counts(esp: Esp, sends: dict[str, dict[str, Any]]) -> Counts:
    counts: Counts = {}
    for message in esp.server.app.messages:  # type: ignore[attr-defined]
        send = sends[message["customer_id"]]
        metrics = message["metrics"]
        counter = counts.setdefault((send["trigger_key"], send["variant"]), Counter())
        counter["sends"] += 1
        counter["delivered"] += int(bool({"delivered", "opened", "clicked"} & set(metrics)))
        counter["opens"] += int("opened" in metrics)
        counter["clicks"] += int("clicked" in metrics)
        counter["bounces"] += int("bounced" in metrics)
    return counts


def _mailchimp_counts(esp: Esp, sends: dict[str, dict[str, Any]]) -> Counts:
    activity = esp.server.app.activity  # type: ignore[attr-defined]
    counts: Counts = {}
    for contact, send in sends.items():
        if send["trigger_key"] != MAILCHIMP_TRIGGER:
            continue
        member = ("aud1", subscriber_hash(email(contact)))
        actions = {
            r["action"] for by_member in activity.values() for r in by_member.get(member, [])
        }
        counter = counts.setdefault((send["trigger_key"], send["variant"]), Counter())
        counter["sends"] += 1
        counter["delivered"] += int(bool({"open", "click"} & actions))  # no delivery report
        counter["opens"] += int("open" in actions)
        counter["clicks"] += int("click" in actions)
        counter["bounces"] += int("bounce" in actions)
    return counts


def test_flow_performance_measures_customerio_and_mailchimp_sends(tmp_path: Path) -> None:
    path = tmp_path / "nudge.duckdb"
    now = utcnow().replace(microsecond=0)
    rows = sends_of_two_triggers()
    make_warehouse(path, rows, [profile_row(c) for c in CONTACTS], as_of=now)
    with duckdb.connect(str(path)) as con:
        for table in ("identifies", "product_catalog"):
            con.execute(create_table_sql(table))
    sends = {row["contact_id"]: row for row in rows}
    at_send_time = dataclasses.replace(ENGAGEMENT, time_scale=0.0, bounce_rate=0.15)
    with customerio(at_send_time) as cio, mailchimp(at_send_time) as chimp:
        assert run_sends(path, cio.settings, trigger_key=CUSTOMERIO_TRIGGER).sent == len(rows) / 2
        assert run_sends(path, chimp.settings, trigger_key=MAILCHIMP_TRIGGER).sent == len(rows) / 2
        expected = {**_customerio_counts(cio, sends), **_mailchimp_counts(chimp, sends)}
        for esp in (cio, chimp):
            assert pull_engagement(path, esp.settings, until=now + timedelta(hours=1)).landed
    assert {trigger for trigger, _ in expected} == {CUSTOMERIO_TRIGGER, MAILCHIMP_TRIGGER}
    assert all(counts["opens"] and counts["clicks"] for counts in expected.values())
    assert sum(counts["bounces"] for counts in expected.values()) > 0

    mark_ledger_sends_sent(path)
    as_of = (now + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    run_dbt(["seed", "--select", "flow_benchmarks", "placeholder_identities"], path, quiet=True)
    run_dbt(["run", "--select", *MODELS.split()], path, dbt_vars={"as_of": as_of}, quiet=True)

    with duckdb.connect(str(path), read_only=True) as con:
        measured = con.execute(
            "select trigger_key, variant, sends, delivered, opens, clicks, bounces"
            " from performance.flow_performance"
        ).fetchall()
    assert {
        (trigger, variant): Counter(
            sends=sends_, delivered=delivered, opens=opens, clicks=clicks, bounces=bounces
        )
        for trigger, variant, sends_, delivered, opens, clicks, bounces in measured
    } == expected
