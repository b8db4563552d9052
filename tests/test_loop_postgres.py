"""The whole loop on a real PostgreSQL server equals the loop on DuckDB (issue 15, item 2).

One small generated store is built on both engines (the raw tables copied to the session
cluster of tests/engines/postgres.py by nudge.raw_copy), and on each the same steps run
through the warehouse interface, each against its own Klaviyo sandbox: the declared
Klaviyo syncs, a suppression made in Klaviyo read back, the due triggered sends, the
engagement pull, the performance marts rebuilt and the marketer's report written from
them, and the erasure of one person who was synced and sent to. The dbt
target is switched the way a user switches it, with ``NUDGE_DBT_TARGET`` and the
profile's ``NUDGE_PG_*`` variables.

Compared: what each sandbox holds (profiles, list members, events), the send ledger, the
engagement events landed in raw.events, key marts, what the report shows, and what the
erasure did. Wall-clock
values are left out of the comparison (the sends' and engagement's own timestamps); the
send-time gate runs at one fixed instant for both.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from activation.declarations import load_declarations
from activation.destinations.klaviyo.sandbox import RateLimitConfig, SandboxHandle, start_sandbox
from activation.engagement import pull_engagement
from activation.runs import Erasure, erase_contact
from activation.sandbox.framework import EngagementConfig
from activation.sends import read_back_suppressions, run_sends
from activation.state import utcnow
from activation.sync import run_sync
from activation.warehouse import open_warehouse
from nudge.clock import start_of_today_utc
from nudge.dbt_runner import dbt_artifacts_dir, run_dbt
from nudge.generator import generate
from nudge.raw_copy import copy_raw_to_postgres
from nudge.report.data import read_report_data
from nudge.report.page import write_report
from tests.engines.postgres import PostgresServer
from tests.engines.results import Table, differences
from tests.sends_helpers import API_KEY, settings

pytestmark = pytest.mark.slow

CONTACTS = 60
DAYS = 120
LOOP_TIME_OF_DAY = timedelta(hours=13, minutes=30)  # UTC
ENGAGEMENT = EngagementConfig(seed=5, bounce_rate=0.1, open_rate=0.6, time_scale=0.0)
# key marts and what identifies their rows
MARTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "contact_profiles": ("select * from contacts.contact_profiles", ("contact_id",)),
    "sync_klaviyo_subscribers": ("select * from syncs.sync_klaviyo_subscribers", ("contact_id",)),
    "triggered_sends": (
        "select send_key, contact_id, trigger_key, step, due_at, status, variant"
        " from triggers.triggered_sends",
        ("send_key",),
    ),
}
# what the loop reads: the marts synced, sent and profiled and everything upstream; the
# models' data and unit tests are tests/test_portability.py's job on each engine
LOOP_BUILD = (
    "build",
    "--select",
    "+path:models/marts/syncs",
    "+path:models/marts/triggers",
    "+path:models/marts/contacts",
    "--exclude",
    "resource_type:test",
    "resource_type:unit_test",
)
# after the engagement pull: what the report reads
REPORT_BUILD = (
    "build",
    "--select",
    "+path:models/marts/performance",
    "--exclude",
    "resource_type:test",
    "resource_type:unit_test",
)
LEDGER = (
    "select send_key, contact_id, trigger_key, step, series_id, variant, status,"
    " status_reason, attempts from activation.send_ledger"
)
LANDED = (
    "select event, user_id, anonymous_id, properties from raw.events where message_id like 'esp-%'"
)


# properties of landed ESP feedback naming the sandbox's event or profile (random ids)
SANDBOX_IDS = ("esp_event_id", "email_id", "esp_profile_id")


@dataclass
class Loop:
    """What one engine's run of the loop left behind, wall-clock values removed."""

    esp: dict[str, list[Any]]
    ledger: Table
    landed: Table
    marts: dict[str, Table]
    erasure: Erasure
    after_erasure: dict[str, Table]
    steps: dict[str, Any]
    person: str
    report: dict[str, Any]


def _env_for(engine: str, server: PostgresServer, database: str) -> dict[str, str]:
    if engine == "duckdb":
        return {"NUDGE_DBT_TARGET": "duckdb"}
    return {"NUDGE_DBT_TARGET": "postgres", **server.dbt_env(database)}


@contextmanager
def _target(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Iterator[None]:
    with monkeypatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        yield


def _read(path: Path, sql: str) -> Table:
    """Through the interface, on whichever engine the current target names."""
    with open_warehouse(path, read_only=True) as warehouse:
        columns, rows = warehouse.preview(sql, 1_000_000)
    return Table(columns, rows)


def _esp(sandbox: SandboxHandle) -> dict[str, list[Any]]:
    """The sandbox's rows without its own ids and clocks."""
    emails = {profile["id"]: profile["email"] for profile in sandbox.profiles()}
    profiles = [
        _canonical({k: v for k, v in profile.items() if k not in ("id", "created", "updated")})
        for profile in sandbox.profiles()
    ]
    members = [
        (str(found["name"]), str(member["email"]))
        for found in sandbox.lists()
        for member in sandbox.list_members(str(found["id"]))
    ]
    events = [
        _canonical(
            {
                "metric": event["metric_name"],
                "profile": emails.get(event["profile_id"]),
                "unique_id": event["unique_id"],
                "value": event["value"],
                **{k: v for k, v in event["properties"].items() if not k.startswith("$")},
            }
        )
        for event in sandbox.events()
    ]
    return {"profiles": sorted(profiles), "list_members": sorted(members), "events": sorted(events)}


def _canonical(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, default=str)


def _landed(path: Path) -> Table:
    """The ESP feedback landed (engagement, suppressions), without the sandbox's own ids."""
    table = _read(path, LANDED)
    rows = [
        (
            *row[:-1],
            _canonical({k: v for k, v in json.loads(row[-1]).items() if k not in SANDBOX_IDS}),
        )
        for row in table.rows
    ]
    return Table(table.columns, rows)


def _person(path: Path) -> str:
    """A synced contact with sends in the ledger (the same on both engines)."""
    table = _read(
        path,
        "select min(lower(trim(p.email))) as email from contacts.contact_profiles as p"
        " inner join activation.send_ledger as l on l.contact_id = p.contact_id"
        " inner join activation.sync_state as s on s.record_key = lower(trim(p.email))",
    )
    return str(table.rows[0][0])


def _report(path: Path) -> dict[str, Any]:
    """The report written from this engine's marts, and what it shows (numbers rounded:
    engines differ in the last digits of floating-point results)."""
    page = write_report(path, path.parent / "report.html")
    assert "<svg" in page.read_text(encoding="utf-8")
    return {name: _rounded(value) for name, value in vars(read_report_data(path)).items()}


def _rounded(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float | Decimal | int):
        return round(float(value), 6) + 0.0  # + 0.0 turns -0.0 into 0.0
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, Mapping):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        rounded = [_rounded(item) for item in value]
        return sorted(rounded, key=_canonical_any)  # group-by output has no fixed order
    return value


def _canonical_any(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _run_loop(
    path: Path,
    now: datetime,
    suppressed: str,
    person: str | None,
    rebuild_performance: Callable[[], object],
) -> Loop:
    steps: dict[str, Any] = {}
    with start_sandbox(
        API_KEY, rate_limits=RateLimitConfig(enabled=False), engagement=ENGAGEMENT
    ) as sandbox:
        klaviyo = settings(sandbox.base_url)
        manifest = dbt_artifacts_dir(path) / "target" / "manifest.json"
        for declaration in load_declarations(manifest):
            if declaration.config.destination == "klaviyo":
                synced = run_sync(declaration, path, klaviyo)
                assert synced.status == "success", synced
                steps[f"sync {declaration.name}"] = synced.added
        sandbox.suppress(suppressed, at=now.replace(tzinfo=UTC))
        steps["read back"] = read_back_suppressions(path, klaviyo).new
        sent = run_sends(path, klaviyo, clock=lambda: now)
        steps["sent"] = sent.sent
        pulled = pull_engagement(path, klaviyo)
        steps["pulled"] = (pulled.landed, pulled.unmatched, pulled.by_event)
        rebuild_performance()
        report = _report(path)
        ledger = _read(path, LEDGER)
        marts = {name: _read(path, sql) for name, (sql, _) in MARTS.items()}
        landed = _landed(path)
        person = person or _person(path)
        erasure = erase_contact(path, person, lambda _: klaviyo)
        esp = _esp(sandbox)
    after = {name: _read(path, sql) for name, (sql, _) in MARTS.items()}
    after["ledger"] = _read(path, LEDGER)
    return Loop(esp, ledger, landed, marts, erasure, after, steps, person, report)


def test_the_loop_on_postgres_equals_the_loop_on_duckdb(
    tmp_path: Path,
    postgres_server: PostgresServer,
    monkeypatch: pytest.MonkeyPatch,
    record_property: Callable[[str, object], None],
) -> None:
    # The same hour of the day in every run: which sends are due depends on it (quiet hours,
    # preferred send hours), and at some hours none are. Yesterday, so the builds stay live
    # under a two-day tolerance.
    end = start_of_today_utc() - timedelta(days=1)
    now = end + LOOP_TIME_OF_DAY
    as_of = {"as_of": now.isoformat(sep=" ")}
    monkeypatch.setenv("NUDGE_REPLAY_TOLERANCE_MINUTES", str(2 * 24 * 60))
    duck = tmp_path / "duckdb" / "nudge.duckdb"
    duck.parent.mkdir()
    generate(duck, contacts=CONTACTS, seed=23, end=end, days=DAYS)
    database = postgres_server.create_database("nudge_loop")
    copy_raw_to_postgres(duck, postgres_server.connection(database))
    pg = tmp_path / "postgres" / "nudge.duckdb"  # anchors the dbt artifacts only

    loops: dict[str, Loop] = {}
    person: str | None = None
    suppressed = ""
    for engine, path in (("duckdb", duck), ("postgres", pg)):
        env = _env_for(engine, postgres_server, database)
        started = utcnow()
        run_dbt(list(LOOP_BUILD), path, dbt_vars=as_of, target=env["NUDGE_DBT_TARGET"], env=env)
        record_property(f"{engine}_build_seconds", (utcnow() - started).total_seconds())
        with _target(monkeypatch, env):
            if not suppressed:
                suppressed = str(
                    _read(path, "select max(email) from syncs.sync_klaviyo_subscribers").rows[0][0]
                )
            started = utcnow()
            loops[engine] = _run_loop(
                path,
                now,
                suppressed,
                person,
                partial(
                    run_dbt,
                    list(REPORT_BUILD),
                    path,
                    dbt_vars=as_of,
                    target=env["NUDGE_DBT_TARGET"],
                    env=env,
                ),
            )
            record_property(f"{engine}_loop_seconds", (utcnow() - started).total_seconds())
        person = loops[engine].person
    duckdb_loop, postgres_loop = loops["duckdb"], loops["postgres"]

    # the loop did something at every step
    steps = duckdb_loop.steps
    assert steps["read back"] >= 1 and steps["sent"] > 0, steps
    assert steps["pulled"][0] > 0, steps
    assert duckdb_loop.erasure.complete and duckdb_loop.erasure.rows_deleted
    assert duckdb_loop.erasure.ledger_rows_pseudonymized > 0
    assert not any(f'"{duckdb_loop.person}"' in p for p in duckdb_loop.esp["profiles"])

    assert postgres_loop.steps == steps
    for kind, rows in duckdb_loop.esp.items():
        only_postgres = sorted(set(postgres_loop.esp[kind]) - set(rows))[:3]
        only_duckdb = sorted(set(rows) - set(postgres_loop.esp[kind]))[:3]
        assert postgres_loop.esp[kind] == rows, (kind, only_postgres, only_duckdb)
    for name, (_, key) in MARTS.items():
        assert not differences(duckdb_loop.marts[name], postgres_loop.marts[name], key), name
        after = duckdb_loop.after_erasure[name], postgres_loop.after_erasure[name]
        assert not differences(*after, key), f"{name} after the erasure"
    assert not differences(duckdb_loop.ledger, postgres_loop.ledger, ("send_key",))
    report = duckdb_loop.report
    assert report["missing"] == [] and report["rfm_cells"] and report["kpis"], report["missing"]
    for name, shown in report.items():
        assert postgres_loop.report[name] == shown, name
    assert not differences(duckdb_loop.landed, postgres_loop.landed, ())
    erasures = duckdb_loop.erasure, postgres_loop.erasure
    assert erasures[0].rows_deleted == erasures[1].rows_deleted
    assert erasures[0].targets == erasures[1].targets == erasures[0].erased
    # the ledger keeps the person's sends under pseudonyms (salted per warehouse)
    for loop in loops.values():
        ledger = loop.after_erasure["ledger"]
        assert len(ledger.rows) == len(loop.ledger.rows)
        erased = [row for row in ledger.as_dicts() if str(row["contact_id"]).startswith("erased:")]
        assert len(erased) == loop.erasure.ledger_rows_pseudonymized
