"""The scenario harness for triggered_sends (tests/test_trigger_scenarios.py runs it).

Writing a scenario module (tests/scenarios/<trigger_key>.py, `SCENARIOS: list[Scenario]`):

- Time: every timestamp is relative to T0 (Monday 2026-03-02 00:00 UTC). US clocks move
  forward on 2026-03-08 and EU clocks on 2026-03-29, so quiet-hour deferrals can be checked
  on both sides of a DST change.
- as_of instants: expectations may only use the instants in INSTANTS (one dbt build each,
  in chronological order, on one warehouse holding every scenario). Anchor your timeline
  so that the steps you check fall around them; add an instant only when no existing one
  can do (each costs a build).
- Contacts and products: ids must be unique to one scenario (prefix them with the
  scenario's name) — every scenario shares the warehouse. Use `subscriber()` for a
  contact who may be emailed: identify (email, time zone) and an email Subscribed event
  at T0 - 60 days, so their own welcome series is long expired and never competes for the
  frequency caps.
- Guardrails are at their defaults in every build (holdout_pct 10, 1 send per 24 h, 3 per
  7 days, quiet hours 21:00-08:00 local, 24 h lateness). Contacts are assigned to the
  holdout by a pure function of (contact_id, trigger_key) that the harness recomputes
  (`is_held_out`): a scenario contact that lands in the holdout fails with a message
  asking for another id, unless the expectation is 'held_out'. The expected A/B variant
  of every expected send is recomputed the same way and checked.
- The activation ledger: `LedgerRow`s are written to activation.send_ledger before the
  first build; rows created after an instant are invisible to that instant's build, so
  a ledger history can be replayed like the events.

Expectations: `Expect` (one send with this step has this status, and optionally due_at,
status_reason, series_id, payload keys or values), `NoSends` (the trigger produced nothing
for the contact), `Count` (how many of the contact's sends have a status).
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from nudge.paths import PROJECT_ROOT
from nudge.raw_contract import create_table_sql

T0 = datetime(2026, 3, 2)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)

# The as_of instants of the builds, in order. Noon UTC: before 21:00 local in every zone
# from UTC-9 to UTC+8, so sends due then are not in quiet hours for most test zones.
INSTANTS: tuple[datetime, ...] = (
    T0 + 12 * HOUR,  # Mon 03-02 12:00
    T0 + DAY + 12 * HOUR,  # Tue 03-03 12:00
    T0 + 2 * DAY + 12 * HOUR,  # Wed 03-04 12:00
    T0 + 3 * DAY + 12 * HOUR,  # Thu 03-05 12:00
    T0 + 5 * DAY + 12 * HOUR,  # Sat 03-07 12:00, the last before US DST (Sun 03-08)
    T0 + 8 * DAY + 12 * HOUR,  # Tue 03-10 12:00, US on summer time, EU not yet
    T0 + 28 * DAY + 12 * HOUR,  # Mon 03-30 12:00, EU on summer time too (Sun 03-29)
)

# The dbt vars of every scenario build (the defaults, spelled out so a change of default
# does not silently change what the scenarios test).
BUILD_VARS: dict[str, Any] = {
    "holdout_pct": 10,
    "max_sends_per_day": 1,
    "max_sends_per_week": 3,
    "max_send_lateness_hours": 24,
    "quiet_hours_start": 21,
    "quiet_hours_end": 8,
    # send-time optimization off: it would move some contacts' steps to their preferred hour
    # (itself a vote over every scenario's contacts); its scheduling is checked on fixed
    # cases by tests/dbt/assert_send_time_optimization_schedules.sql
    "sto_max_delay_hours": 0,
}

STATUSES = ("scheduled", "due", "sent", "suppressed", "held_out", "capped", "expired", "cancelled")

LEDGER_COLUMNS: list[tuple[str, str]] = [
    ("send_key", "varchar"),
    ("destination_target", "varchar"),
    ("contact_id", "varchar"),
    ("trigger_key", "varchar"),
    ("step", "integer"),
    ("series_id", "varchar"),
    ("variant", "varchar"),
    ("status", "varchar"),
    ("status_reason", "varchar"),
    ("attempts", "integer"),
    ("last_error", "varchar"),
    ("created_at", "timestamp"),
    ("sent_at", "timestamp"),
    ("updated_at", "timestamp"),
]


# --- raw rows -------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """A raw.events row; received_at defaults to 5 minutes after `at`."""

    name: str
    contact_id: str | None
    at: datetime
    properties: Mapping[str, Any] | None = None
    channel: str = "web"
    anonymous_id: str | None = None
    received_at: datetime | None = None


@dataclass(frozen=True)
class Identify:
    """A raw.identifies row; received_at defaults to 1 minute after `at`."""

    contact_id: str
    at: datetime
    traits: Mapping[str, Any]
    anonymous_id: str | None = None
    received_at: datetime | None = None


@dataclass(frozen=True)
class Product:
    """A raw.product_catalog row (one state of a product from `at`)."""

    product_id: str
    name: str
    price: float
    at: datetime
    category: str = "coffee"
    stock_quantity: int | None = 10
    image_url: str | None = None
    url: str | None = None
    replenishment_days: int | None = None
    currency: str = "USD"


@dataclass(frozen=True)
class LedgerRow:
    """An activation.send_ledger row for the send (contact, trigger, series, step)."""

    contact_id: str
    trigger_key: str
    series_id: str
    step: int
    status: str
    created_at: datetime
    sent_at: datetime | None = None
    updated_at: datetime | None = None
    status_reason: str | None = None
    variant: str = "A"
    destination_target: str = "klaviyo:test"


def subscriber(
    contact_id: str,
    *,
    timezone: str | None = "UTC",
    email: str | None = "auto",
    first_name: str | None = None,
    subscribed_at: datetime = T0 - 60 * DAY,
) -> list[Event | Identify]:
    """A contact who may be emailed: an identify (email, time zone) and an email Subscribed
    event long enough ago that their own welcome series is expired."""
    traits: dict[str, Any] = {}
    if email is not None:
        traits["email"] = f"{contact_id}@example.com" if email == "auto" else email
    if timezone is not None:
        traits["timezone"] = timezone
    if first_name is not None:
        traits["first_name"] = first_name
    return [
        Identify(contact_id, subscribed_at - MINUTE, traits),
        Event("Subscribed", contact_id, subscribed_at, {"channel": "email", "source": "footer"}),
    ]


# --- expectations ---------------------------------------------------------------------

ANY: Any = object()


@dataclass(frozen=True)
class Expect:
    """As of `at`, the contact's send of `trigger_key` step `step` (of `series_id` when
    given; else the trigger must have exactly one series with that step) has `status`, and
    each of the optional fields that is given."""

    at: datetime
    contact_id: str
    trigger_key: str
    step: int
    status: str
    due_at: datetime | None = None
    status_reason: Any = ANY
    series_id: str | None = None
    payload_keys: Sequence[str] = ()
    payload: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class NoSends:
    """As of `at`, the trigger has no send at all for the contact."""

    at: datetime
    contact_id: str
    trigger_key: str


@dataclass(frozen=True)
class Count:
    """As of `at`, exactly `count` of the contact's sends (of `trigger_key`, else of every
    trigger) have `status`."""

    at: datetime
    contact_id: str
    status: str
    count: int
    trigger_key: str | None = None


Expectation = Expect | NoSends | Count


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    rows: Sequence[Event | Identify | Product]
    expectations: Sequence[Expectation]
    ledger: Sequence[LedgerRow] = field(default_factory=tuple)

    def contact_ids(self) -> set[str]:
        return {
            r.contact_id
            for r in self.rows
            if isinstance(r, Event | Identify) and r.contact_id is not None
        }


# --- deterministic functions, recomputed in Python ------------------------------------


def send_key(contact_id: str, trigger_key: str, series_id: str, step: int) -> str:
    """macros/triggers/send_key.sql: md5 of 'contact_id|trigger_key|series_id|step'."""
    return hashlib.md5(f"{contact_id}|{trigger_key}|{series_id}|{step}".encode()).hexdigest()


def hash_bucket(salt: str, *parts: str, buckets: int = 100) -> int:
    """macros/triggers/send_key.sql hash_bucket: the md5's first six hex digits, mod buckets."""
    digest = hashlib.md5("|".join((salt, *parts)).encode()).hexdigest()
    return int(digest[:6], 16) % buckets


def is_held_out(contact_id: str, trigger_key: str, holdout_pct: int = 10) -> bool:
    return hash_bucket("holdout", contact_id, trigger_key) < holdout_pct


def variant(contact_id: str, trigger_key: str, variant_b_pct: int) -> str:
    return "B" if hash_bucket("variant", contact_id, trigger_key) < variant_b_pct else "A"


def trigger_catalog() -> dict[str, dict[str, str]]:
    with (PROJECT_ROOT / "seeds" / "trigger_catalog.csv").open(newline="") as handle:
        return {row["trigger_key"]: row for row in csv.DictReader(handle)}


# --- validation and writing -----------------------------------------------------------


def validate(scenarios: Sequence[Scenario]) -> list[str]:
    """Mistakes in the scenario definitions themselves, as readable messages."""
    problems: list[str] = []
    owners: dict[str, str] = {}
    products: dict[str, str] = {}
    names = [s.name for s in scenarios]
    for duplicate in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"scenario name {duplicate!r} is used twice")
    catalog = trigger_catalog()
    for scenario in scenarios:
        for contact in scenario.contact_ids():
            if owners.setdefault(contact, scenario.name) != scenario.name:
                problems.append(
                    f"contact {contact!r} is in scenarios {owners[contact]!r} and"
                    f" {scenario.name!r}: prefix contact ids with the scenario name"
                )
        for row in scenario.rows:
            owner = (
                products.setdefault(row.product_id, scenario.name)
                if isinstance(row, Product)
                else scenario.name
            )
            if isinstance(row, Product) and owner != scenario.name:
                problems.append(
                    f"product {row.product_id!r} is in scenarios {owner!r} and {scenario.name!r}"
                )
        for expectation in scenario.expectations:
            where = f"{scenario.name}: {expectation}"
            if expectation.at not in INSTANTS:
                problems.append(f"{where}: `at` must be one of harness.INSTANTS")
            trigger_key = getattr(expectation, "trigger_key", None)
            if trigger_key is not None and trigger_key not in catalog:
                problems.append(f"{where}: {trigger_key!r} is not in seeds/trigger_catalog.csv")
            status = getattr(expectation, "status", None)
            if status is not None and status not in STATUSES:
                problems.append(f"{where}: status must be one of {STATUSES}")
            if isinstance(expectation, Expect):
                held_out = is_held_out(expectation.contact_id, expectation.trigger_key)
                if held_out != (expectation.status == "held_out") and expectation.status in (
                    "held_out",
                    "scheduled",
                    "due",
                    "capped",
                ):
                    state = "is" if held_out else "is not"
                    problems.append(
                        f"{where}: contact {expectation.contact_id!r} {state} in the"
                        f" {expectation.trigger_key} holdout (harness.is_held_out);"
                        " pick another contact id"
                    )
    return problems


def write_scenarios(warehouse: Path, scenarios: Sequence[Scenario]) -> None:
    """Create the raw tables (and the send ledger) and insert every scenario's rows."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    events: list[tuple[Any, ...]] = []
    identifies: list[tuple[Any, ...]] = []
    products: list[tuple[Any, ...]] = []
    ledger: list[tuple[Any, ...]] = []
    for scenario in scenarios:
        for n, row in enumerate(scenario.rows, start=1):
            message_id = f"{scenario.name}#{n}"
            if isinstance(row, Event):
                events.append(_event_row(message_id, row))
            elif isinstance(row, Identify):
                identifies.append(_identify_row(message_id, row))
            else:
                products.append(_product_row(row))
        ledger.extend(_ledger_row(row) for row in scenario.ledger)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema if not exists raw")
        for table in ("events", "identifies", "product_catalog"):
            con.execute(create_table_sql(table))
        _insert(con, "raw.events", events)
        _insert(con, "raw.identifies", identifies)
        _insert(con, "raw.product_catalog", products)
        if ledger:
            con.execute("create schema if not exists activation")
            columns = ", ".join(f"{name} {data_type}" for name, data_type in LEDGER_COLUMNS)
            con.execute(
                f"create table activation.send_ledger ({columns},"
                " primary key (send_key, destination_target))"
            )
            _insert(con, "activation.send_ledger", ledger)


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple[Any, ...]]) -> None:
    if rows:
        placeholders = ", ".join(["?"] * len(rows[0]))
        con.executemany(f"insert into {table} values ({placeholders})", rows)


def _json(value: Mapping[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value)


def _event_row(message_id: str, e: Event) -> tuple[Any, ...]:
    received = e.received_at or e.at + 5 * MINUTE
    context = json.dumps({"channel": e.channel})
    return (
        message_id,
        e.name,
        e.contact_id,
        e.anonymous_id,
        e.at,
        received,
        _json(e.properties),
        context,
    )


def _identify_row(message_id: str, i: Identify) -> tuple[Any, ...]:
    received = i.received_at or i.at + MINUTE
    return (message_id, i.contact_id, i.anonymous_id, i.at, received, _json(i.traits))


def _product_row(p: Product) -> tuple[Any, ...]:
    return (
        p.product_id,
        p.name,
        p.category,
        p.price,
        p.currency,
        p.stock_quantity,
        p.image_url,
        p.url,
        p.replenishment_days,
        p.at,
    )


def _ledger_row(r: LedgerRow) -> tuple[Any, ...]:
    return (
        send_key(r.contact_id, r.trigger_key, r.series_id, r.step),
        r.destination_target,
        r.contact_id,
        r.trigger_key,
        r.step,
        r.series_id,
        r.variant,
        r.status,
        r.status_reason,
        1,
        None,
        r.created_at,
        r.sent_at,
        r.updated_at or r.sent_at or r.created_at,
    )


# --- checking -------------------------------------------------------------------------

Send = dict[str, Any]


def check(scenario: Scenario, sends_at: Mapping[datetime, Sequence[Send]]) -> list[str]:
    """Every expectation of the scenario that the built sends do not meet, explained."""
    catalog = trigger_catalog()
    failures: list[str] = []
    for expectation in scenario.expectations:
        sends = [s for s in sends_at[expectation.at] if s["contact_id"] == expectation.contact_id]
        failures.extend(
            f"as of {expectation.at:%Y-%m-%d %H:%M}: {message}"
            for message in _check_one(expectation, sends, catalog)
        )
    return failures


def _describe(sends: Iterable[Send]) -> str:
    listed = [
        f"{s['trigger_key']}#{s['step']} series={s['series_id']} {s['status']}"
        f"({s['status_reason']}) due {s['due_at']:%m-%d %H:%M}"
        for s in sorted(sends, key=lambda s: (s["trigger_key"], s["series_id"], s["step"]))
    ]
    return "; ".join(listed) or "no sends"


def _check_one(
    expectation: Expectation, sends: list[Send], catalog: Mapping[str, Mapping[str, str]]
) -> list[str]:
    contact = expectation.contact_id
    if isinstance(expectation, Count):
        matching = [
            s
            for s in sends
            if s["status"] == expectation.status
            and expectation.trigger_key in (None, s["trigger_key"])
        ]
        if len(matching) != expectation.count:
            return [
                f"{contact}: expected {expectation.count} {expectation.status} sends"
                f" ({expectation.trigger_key or 'any trigger'}), found {len(matching)}:"
                f" {_describe(sends)}"
            ]
        return []
    of_trigger = [s for s in sends if s["trigger_key"] == expectation.trigger_key]
    if isinstance(expectation, NoSends):
        if of_trigger:
            found = _describe(of_trigger)
            return [f"{contact}: expected no {expectation.trigger_key} sends, found {found}"]
        return []

    candidates = [
        s
        for s in of_trigger
        if s["step"] == expectation.step and expectation.series_id in (None, s["series_id"])
    ]
    label = f"{contact} {expectation.trigger_key}#{expectation.step}"
    if len(candidates) != 1:
        return [
            f"{label}: expected one send (series {expectation.series_id or 'any'}),"
            f" found {len(candidates)}: {_describe(of_trigger)}"
        ]
    send = candidates[0]
    problems = []
    if send["status"] != expectation.status:
        problems.append(
            f"status {send['status']!r} ({send['status_reason']}), expected {expectation.status!r}"
        )
    if expectation.due_at is not None and send["due_at"] != expectation.due_at:
        problems.append(f"due_at {send['due_at']}, expected {expectation.due_at}")
    if expectation.status_reason is not ANY and send["status_reason"] != expectation.status_reason:
        problems.append(
            f"status_reason {send['status_reason']!r}, expected {expectation.status_reason!r}"
        )
    expected_variant = variant(
        contact, expectation.trigger_key, int(catalog[expectation.trigger_key]["variant_b_pct"])
    )
    if send["variant"] != expected_variant:
        problems.append(f"variant {send['variant']!r}, expected {expected_variant!r}")
    expected_key = send_key(contact, expectation.trigger_key, send["series_id"], expectation.step)
    if send["send_key"] != expected_key:
        problems.append(f"send_key {send['send_key']}, expected {expected_key}")
    payload = json.loads(send["payload"])
    if not isinstance(payload, dict):
        problems.append(f"payload is not a JSON object: {send['payload']}")
        payload = {}
    missing = [key for key in expectation.payload_keys if key not in payload]
    if missing:
        problems.append(f"payload lacks {missing}: {send['payload']}")
    for key, value in (expectation.payload or {}).items():
        if payload.get(key) != value:
            problems.append(f"payload[{key!r}] = {payload.get(key)!r}, expected {value!r}")
    return [f"{label}: {p}" for p in problems]
