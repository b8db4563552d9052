"""Property test of send-time truth: 1,000 generated timelines of live builds, replays,
send runs at random instants, consent ends landing between a build and a send, erasures and
ESP outages, each run through the real send runner (gate, ledger, candidates SQL) against an
in-memory warehouse. Whatever the builds planned — the simulated builds are deliberately
sloppy (they mark sends due without looking at lateness, quiet hours or caps) — every
email that left must satisfy, checked independently of the gate's code:

- never to an address whose consent ended (any contact sharing it) or that was erased,
  before the send instant;
- never in quiet hours in the contact's own zone (unless its trigger opts out);
- never later than the lateness limit after due_at; for a send the gate deferred for quiet
  hours, not counting the quiet hours in between (sampled minute by minute here, not
  computed the way the gate does);
- never more than the caps to one address in any rolling 24 hours or 7 days;
- never an email of a topic the person opted out of (Email Preferences Updated) before the
  send instant, and, once they chose a weekly frequency, never one within 7 days of
  another to their address;
- never while the newest build is a replay; each send_key at most once.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activation.build_stamps import ReplayBuildError, record_build_stamp
from activation.sends import run_sends
from activation.tombstones import add_tombstones
from activation.warehouse import Warehouse
from nudge.raw_contract import create_table_sql
from tests.sends_helpers import (
    PROFILE_COLUMNS,
    SENDS_COLUMNS,
    FakeClock,
    RecordingDestination,
)
from tests.sends_helpers import (
    settings as klaviyo_settings,
)

START = datetime(2027, 3, 5)  # a US DST change (2027-03-14) is inside long timelines
ZONES = ("UTC", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "Europe/Berlin")
TRIGGERS = (("cart_abandonment", 1, False), ("welcome", 2, True), ("winback", 16, False))
TOPICS = {"cart_abandonment": "reminders", "welcome": "offers", "winback": "offers"}
KLAVIYO = klaviyo_settings("http://127.0.0.1:9")
# what happens along a timeline, as often as it appears here
STEP_KINDS = (
    *("build",) * 3,
    *("send",) * 5,
    "replay",
    "unsubscribe",
    "erase",
    "outage",
    "recover",
)
# the same with email preferences chosen along the timeline (test_preferences_...)
PREFERENCE_STEP_KINDS = (*STEP_KINDS, *("topic_opt_out",) * 3, *("weekly",) * 2)
MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Policy:
    lateness_hours: int
    quiet_start: int
    quiet_end: int
    per_day: int
    per_week: int


@dataclass(frozen=True)
class Contact:
    contact_id: str
    email: str  # as the identify sent it: case and spaces vary within one address
    timezone: str

    @property
    def address(self) -> str:
        return self.email.strip().lower()


@dataclass(frozen=True)
class Planned:
    send_key: str
    contact: Contact
    trigger_key: str
    priority: int
    opts_out: bool
    due_at: datetime


@dataclass(frozen=True)
class Step:
    kind: str  # one of STEP_KINDS
    at: datetime
    target: int = 0  # a contact index
    sloppy: bool = False
    topic: str = "offers"  # the topic a topic_opt_out step opts out of


@dataclass
class World:
    policy: Policy
    contacts: list[Contact]
    planned: list[Planned]
    steps: list[Step]
    consent_ended: dict[str, datetime] = field(default_factory=dict)  # address -> received
    erased: dict[str, datetime] = field(default_factory=dict)  # address -> when
    # (address, topic) -> when the opt-out landed
    opted_out: dict[tuple[str, str], datetime] = field(default_factory=dict)
    weekly: dict[str, datetime] = field(default_factory=dict)  # address -> when chosen


@st.composite
def worlds(draw: st.DrawFn, preferences: bool = False) -> World:
    """A timeline; with ``preferences``, people also opt out of topics and choose weekly
    email, before it (known to the builds) and along it (landing between builds and sends).
    Without, the draws are exactly those of the examples the suite has always run."""
    policy = Policy(
        lateness_hours=draw(st.sampled_from((1, 6, 24))),
        quiet_start=draw(st.sampled_from((21, 22))),
        quiet_end=draw(st.sampled_from((7, 8))),
        per_day=draw(st.integers(1, 2)),
        per_week=draw(st.integers(2, 4)),
    )
    addresses = [f"p{i}@example.com" for i in range(draw(st.integers(1, 3)))]
    contacts = []
    for index in range(draw(st.integers(1, 4))):
        address = draw(st.sampled_from(addresses))
        spelled = draw(st.sampled_from((address, address.upper(), f" {address.title()} ")))
        contacts.append(Contact(f"c-{index}", spelled, draw(st.sampled_from(ZONES))))
    planned = []
    for index in range(draw(st.integers(1, 8))):
        contact = draw(st.sampled_from(contacts))
        trigger, priority, opts_out = draw(st.sampled_from(TRIGGERS))
        due = START + timedelta(minutes=draw(st.integers(0, 2 * 24 * 60)))
        planned.append(Planned(f"sk-{index}", contact, trigger, priority, opts_out, due))
    steps = [Step("build", START)]
    kinds = PREFERENCE_STEP_KINDS if preferences else STEP_KINDS
    topics = sorted(set(TOPICS.values()))
    for _ in range(draw(st.integers(4, 16))):
        kind = draw(st.sampled_from(kinds))
        at = START + timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
        target, sloppy = draw(st.integers(0, len(contacts) - 1)), draw(st.booleans())
        topic = draw(st.sampled_from(topics)) if preferences else "offers"
        steps.append(Step(kind, at, target, sloppy, topic))
    steps.sort(key=lambda step: step.at)
    # one instant per step (a second apart at least), as runs on one warehouse are
    steps = [replace(step, at=step.at + timedelta(seconds=i)) for i, step in enumerate(steps)]
    weekly: dict[str, datetime] = {}
    if preferences:  # some people chose weekly email before the timeline (the builds know)
        weekly = {a: START - timedelta(days=1) for a in addresses if draw(st.booleans())}
        # looser project caps, so a person's own frequency is what holds their email back
        policy = replace(policy, per_day=policy.per_day + 2, per_week=policy.per_week + 2)
    return World(policy, contacts, planned, steps, weekly=weekly)


def make_tables(warehouse: Warehouse) -> None:
    for schema in ("triggers", "contacts", "raw"):
        warehouse.execute(f"create schema {schema}")
    for table, columns in (
        ("triggers.triggered_sends", SENDS_COLUMNS),
        ("contacts.contact_profiles", PROFILE_COLUMNS),
    ):
        warehouse.execute(
            f"create table {table} ({', '.join(f'{n} {t}' for n, t in columns.items())})"
        )
    warehouse.execute(create_table_sql("events"))


def build(
    warehouse: Warehouse, world: World, as_of: datetime, built_at: datetime, sloppy: bool
) -> None:
    """What a build as of ``as_of`` would plan, with profiles and email preferences as of
    then; a sloppy one marks every send whose due_at has passed 'due' (the gate must not
    trust it)."""
    policy = world.policy
    warehouse.execute("delete from triggers.triggered_sends")
    warehouse.execute("delete from contacts.contact_profiles")
    lateness = timedelta(hours=policy.lateness_hours)
    rows = []
    for send in world.planned:
        if send.due_at > as_of or (not sloppy and as_of - send.due_at > lateness):
            continue
        opted_out = world.opted_out.get((send.contact.address, TOPICS[send.trigger_key]))
        if opted_out is not None and opted_out <= as_of:
            continue  # 'suppressed', reason topic_opted_out
        rows.append(
            (
                send.send_key,
                send.contact.contact_id,
                send.trigger_key,
                "s",
                1,
                send.due_at,
                send.due_at,
                send.due_at,
                "due",
                None,
                "A",
                send.priority,
                "Nudge Test",
                "{}",
                send.contact.timezone,
                send.opts_out,
                as_of,
                send.due_at,  # send_after: no send-time optimization here
                None,
                TOPICS[send.trigger_key],
            )
        )
    warehouse.insert_rows("triggers.triggered_sends", list(SENDS_COLUMNS), rows)
    profiles = []
    for contact in world.contacts:
        ended = world.consent_ended.get(contact.address)
        suppressed = ended is not None and ended <= as_of
        profiles.append(
            (
                contact.contact_id,
                contact.email,
                not suppressed,
                suppressed,
                "unsubscribed" if suppressed else None,
                START - timedelta(days=1),
                7 if world.weekly.get(contact.address, as_of + MINUTE) <= as_of else None,
            )
        )
    warehouse.insert_rows("contacts.contact_profiles", list(PROFILE_COLUMNS), profiles)
    warehouse.execute(
        "create or replace table triggers.send_policy as select ?::timestamp as as_of,"
        " ? as max_send_lateness_hours, ? as quiet_hours_start, ? as quiet_hours_end,"
        " ? as max_sends_per_day, ? as max_sends_per_week,"
        " 'weekly=7,monthly=30' as email_frequency_windows",
        [
            as_of,
            policy.lateness_hours,
            policy.quiet_start,
            policy.quiet_end,
            policy.per_day,
            policy.per_week,
        ],
    )
    record_build_stamp(warehouse, "triggers.triggered_sends", as_of, built_at=built_at)


# what the timelines exercised, over every example (test_the_timelines_exercise_every_rule)
EXERCISED: dict[str, int] = defaultdict(int)


@dataclass(frozen=True)
class Left:
    at: datetime
    send: Planned
    was_deferred: bool  # the ledger says the gate deferred it at some point


def play(world: World) -> tuple[list[Left], list[str]]:
    """Run the timeline; (every email that left, problems)."""
    by_key = {send.send_key: send for send in world.planned}
    clock = FakeClock(START)
    esp = RecordingDestination(clock)
    left: list[Left] = []
    problems: list[str] = []
    replayed = False
    with Warehouse(":memory:") as warehouse:
        make_tables(warehouse)
        for step in world.steps:
            clock.now = step.at
            contact = world.contacts[step.target]
            if step.kind == "build":
                build(warehouse, world, step.at, step.at, step.sloppy)
                replayed = False
            elif step.kind == "replay":
                build(warehouse, world, step.at - timedelta(days=20), step.at, step.sloppy)
                replayed = True
            elif step.kind == "unsubscribe":
                world.consent_ended.setdefault(contact.address, step.at)
                warehouse.execute(
                    "insert into raw.events values (?, ?, ?, null, ?, ?, ?, null)",
                    [
                        f"u-{step.at}",
                        " UNSUBSCRIBED",
                        contact.contact_id,
                        step.at - timedelta(minutes=5),
                        step.at,
                        json.dumps({"channel": "email"}),
                    ],
                )
            elif step.kind in ("topic_opt_out", "weekly"):
                if step.kind == "weekly":
                    world.weekly.setdefault(contact.address, step.at)
                    choice = {"frequency": " Weekly"}
                else:
                    world.opted_out.setdefault((contact.address, step.topic), step.at)
                    choice = {"topic": step.topic.upper(), "subscribed": False}
                warehouse.execute(
                    "insert into raw.events values (?, ?, ?, null, ?, ?, ?, null)",
                    [
                        f"p-{step.at}",
                        "Email Preferences Updated ",
                        contact.contact_id,
                        step.at - timedelta(minutes=5),
                        step.at,
                        json.dumps(choice),
                    ],
                )
            elif step.kind == "erase":
                world.erased.setdefault(contact.address, step.at)
                ids = [c.contact_id for c in world.contacts if c.address == contact.address]
                add_tombstones(warehouse, email=contact.address, contact_ids=ids, erased_at=step.at)
            elif step.kind in ("outage", "recover"):
                esp.down = step.kind == "outage"
            else:
                try:
                    result = run_sends(warehouse, KLAVIYO, destination=esp, clock=clock)  # type: ignore[arg-type]
                except ReplayBuildError:
                    EXERCISED["refused replays"] += 1
                    if not replayed:
                        problems.append(f"refused a live build at {step.at}")
                    continue
                if replayed:
                    problems.append(f"a send run went ahead on a replay at {step.at}")
                for outcome in (
                    "sent",
                    "skipped",
                    "expired",
                    "deferred",
                    "capped",
                    "not_attempted",
                ):
                    EXERCISED[outcome] += getattr(result, outcome)
                EXERCISED["topic opt-outs"] += result.skipped_by_reason.get(
                    "topic_opted_out_after_build", 0
                )
                EXERCISED["frequency"] += result.capped_by_reason.get("email_frequency", 0)
        repeated = len(esp.deliveries) - len(set(esp.deliveries))
        if repeated:
            problems.append(f"{repeated} send_keys delivered twice")
        deferred = dict(
            warehouse.fetchall(
                "select send_key, deferred_until is not null from activation.send_ledger"
            )
            if esp.delivered
            else []
        )
        for key, (when, _) in esp.delivered.items():
            left.append(Left(when, by_key[key], bool(deferred.get(key))))
    return left, problems


def quiet(instant: datetime, zone: str, policy: Policy) -> bool:
    hour = instant.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).hour
    return hour >= policy.quiet_start or hour < policy.quiet_end


def sendable_minutes(send: Planned, sent_at: datetime, policy: Policy) -> int:
    minute, count = send.due_at, 0
    while minute < sent_at:
        if send.opts_out or not quiet(minute, send.contact.timezone, policy):
            count += 1
        minute += timedelta(minutes=1)
    return count


def violations(world: World, left: list[Left]) -> list[str]:
    policy = world.policy
    lateness = timedelta(hours=policy.lateness_hours)
    found = []
    by_address: dict[str, list[datetime]] = defaultdict(list)
    for item in left:
        when, send = item.at, item.send
        address = send.contact.address
        by_address[address].append(when)
        ended, erased = world.consent_ended.get(address), world.erased.get(address)
        if ended is not None and ended <= when:
            found.append(f"{send.send_key} to {address} after its consent ended")
        if erased is not None and erased <= when:
            found.append(f"{send.send_key} to {address} after its erasure")
        opted_out = world.opted_out.get((address, TOPICS[send.trigger_key]))
        if opted_out is not None and opted_out <= when:
            found.append(f"{send.send_key} to {address} after its topic opt-out")
        if not send.opts_out and quiet(when, send.contact.timezone, policy):
            found.append(f"{send.send_key} at {when} in quiet hours in {send.contact.timezone}")
        if when - send.due_at > lateness and (
            not item.was_deferred or sendable_minutes(send, when, policy) > lateness / MINUTE
        ):
            found.append(f"{send.send_key} due {send.due_at} left {when}, too late")
    for address, instants in by_address.items():
        for when in instants:
            day = sum(1 for other in instants if when - timedelta(hours=24) < other <= when)
            week = sum(1 for other in instants if when - timedelta(days=7) < other <= when)
            if day > policy.per_day or week > policy.per_week:
                found.append(f"{address}: {day} in 24 h, {week} in 7 days at {when}")
            chosen = world.weekly.get(address)
            if chosen is not None and chosen <= when and week > 1:
                found.append(f"{address} chose weekly email at {chosen}: {week} in 7 days")
    return found


@settings(
    max_examples=1000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(worlds())
def test_no_timeline_sends_a_wrong_email(world: World) -> None:
    left, problems = play(world)
    assert problems + violations(world, left) == []


@settings(
    max_examples=1000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(worlds(preferences=True))
def test_preferences_chosen_along_a_timeline_hold_for_every_email(world: World) -> None:
    left, problems = play(world)
    assert problems + violations(world, left) == []


def test_the_timelines_exercise_every_rule() -> None:
    """The properties above are only as good as their timelines: across them, emails left
    and every rule held some back (runs after them in the same module)."""
    if not EXERCISED:
        pytest.skip("run with test_no_timeline_sends_a_wrong_email")
    for outcome in ("sent", "skipped", "expired", "deferred", "capped", "not_attempted"):
        assert EXERCISED[outcome] >= 20, str(dict(EXERCISED))
    assert EXERCISED["refused replays"] >= 20, str(dict(EXERCISED))
    assert EXERCISED["topic opt-outs"] >= 10, str(dict(EXERCISED))
    assert EXERCISED["frequency"] >= 10, str(dict(EXERCISED))
