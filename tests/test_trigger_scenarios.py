"""Trigger scenarios (tests/scenarios/): every module's hand-written timelines go into one
DuckDB warehouse, `+triggered_sends` is built once per as_of instant in chronological
order, and each scenario's expectations are checked against the sends of those builds."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

import tests.scenarios
from nudge.dbt_runner import parse_manifest, run_dbt
from tests.scenarios.harness import BUILD_VARS, INSTANTS, Scenario, check, validate, write_scenarios

pytestmark = pytest.mark.slow


def _load_scenarios() -> list[Scenario]:
    scenarios: list[Scenario] = []
    for module_info in sorted(pkgutil.iter_modules(tests.scenarios.__path__), key=lambda m: m.name):
        if module_info.name == "harness":
            continue
        module = importlib.import_module(f"tests.scenarios.{module_info.name}")
        scenarios.extend(getattr(module, "SCENARIOS", []))
    return scenarios


SCENARIOS = _load_scenarios()
RERUN: list[dict[str, Any]] = []  # the last instant's sends again, filled by `sends_at`
USED_INSTANTS = sorted({e.at for s in SCENARIOS for e in s.expectations} & set(INSTANTS))


def _read_sends(warehouse: Path) -> list[dict[str, Any]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute("select * from triggers.triggered_sends")
        columns = [d[0] for d in cursor.description or []]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def sends_at(
    tmp_path_factory: pytest.TempPathFactory,
) -> Mapping[datetime, Sequence[dict[str, Any]]]:
    """The triggered_sends rows as of each instant some scenario checks. The project is
    parsed once (dbt would re-parse for every change of vars); after the last run the data
    tests of triggered_sends, the trigger models, the catalog, the profiles and the Klaviyo
    sync (contacts sharing an address must not fail it) run on the result."""
    problems = validate(SCENARIOS)
    assert not problems, "scenario definitions:\n" + "\n".join(problems)
    warehouse = tmp_path_factory.mktemp("trigger_scenarios") / "nudge.duckdb"
    write_scenarios(warehouse, SCENARIOS)
    manifest = parse_manifest(warehouse)
    run_dbt(["seed"], warehouse, quiet=True, manifest=manifest)
    built: dict[datetime, list[dict[str, Any]]] = {}
    for at in USED_INSTANTS:
        dbt_vars = {**BUILD_VARS, "as_of": at.isoformat(sep=" ")}
        run_dbt(
            ["run", "-s", "+triggered_sends"], warehouse, dbt_vars, quiet=True, manifest=manifest
        )
        built[at] = _read_sends(warehouse)
    addresses = ["email_address_reconciliation", "sync_klaviyo_subscribers"]
    run_dbt(["run", "-s", *addresses], warehouse, dbt_vars, quiet=True, manifest=manifest)
    run_dbt(
        [
            "test",
            "-s",
            "triggered_sends",
            "tag:trigger",
            "trigger_catalog",
            "stg_send_ledger",
            "contact_profiles",
            "int_contact_addresses_resolved",
            "int_address_consent_states_derived",
            *addresses,
        ],
        warehouse,
        dbt_vars,
        quiet=True,
        manifest=manifest,
    )
    # the last instant once more: a re-run must give the very same sends
    run_dbt(["run", "-s", "triggered_sends"], warehouse, dbt_vars, quiet=True, manifest=manifest)
    RERUN.extend(_read_sends(warehouse))
    return built


def test_scenario_definitions_are_valid() -> None:
    assert SCENARIOS, "no scenario modules found in tests/scenarios/"
    assert validate(SCENARIOS) == []


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_scenario(
    scenario: Scenario, sends_at: Mapping[datetime, Sequence[dict[str, Any]]]
) -> None:
    failures = check(scenario, sends_at)
    assert not failures, f"{scenario.name}: {scenario.description}\n" + "\n".join(failures)


def test_no_due_send_is_late(sends_at: Mapping[datetime, Sequence[dict[str, Any]]]) -> None:
    """Staleness, over every scenario: nothing is due more than 24 h after its due_at, and
    nothing due or scheduled lies on the wrong side of as_of. A send the build expires is
    24 h late; one the send-time gate expired (the ledger's reason) may be expired earlier."""
    lateness = timedelta(hours=BUILD_VARS["max_send_lateness_hours"])
    for at, sends in sends_at.items():
        for send in sends:
            if send["status"] in ("due", "capped"):
                assert send["due_at"] <= at and at - send["due_at"] <= lateness, send
            if send["status"] == "scheduled":
                assert send["due_at"] > at, send
            if send["status"] == "expired" and send["status_reason"] == "max_send_lateness":
                assert at - send["due_at"] > lateness, send


def test_every_send_has_one_status_and_reruns_agree(
    sends_at: Mapping[datetime, Sequence[dict[str, Any]]],
) -> None:
    """One row per send_key at every instant, a sent send stays sent, and re-running the
    last instant changes nothing (statuses, variants, holdout, keys)."""

    def rows(sends: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return sorted(tuple(s.values()) for s in sends)

    assert RERUN and rows(RERUN) == rows(sends_at[USED_INSTANTS[-1]])
    final: dict[str, str] = {}
    for at in USED_INSTANTS:
        keys = [s["send_key"] for s in sends_at[at]]
        assert len(keys) == len(set(keys)), at
        for send in sends_at[at]:
            earlier = final.get(send["send_key"])
            if earlier == "sent":
                assert send["status"] == "sent", (at, send)
            final[send["send_key"]] = send["status"]
