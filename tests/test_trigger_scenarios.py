"""Trigger scenarios (tests/scenarios/): every module's hand-written timelines go into one
DuckDB warehouse, `+triggered_sends` is built once per as_of instant in chronological
order, and each scenario's expectations are checked against the sends of those builds."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

import tests.scenarios
from nudge.dbt_runner import run_dbt
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
    """The triggered_sends rows as of each instant some scenario checks. The first and last
    builds run the data and unit tests of everything they build; the others only run."""
    problems = validate(SCENARIOS)
    assert not problems, "scenario definitions:\n" + "\n".join(problems)
    warehouse = tmp_path_factory.mktemp("trigger_scenarios") / "nudge.duckdb"
    write_scenarios(warehouse, SCENARIOS)
    built: dict[datetime, list[dict[str, Any]]] = {}
    for n, at in enumerate(USED_INSTANTS):
        command = "build" if n in (0, len(USED_INSTANTS) - 1) else "run"
        run_dbt(
            [command, "--indirect-selection", "buildable", "-s", "+triggered_sends"],
            warehouse,
            dbt_vars={**BUILD_VARS, "as_of": at.isoformat(sep=" ")},
            quiet=True,
        )
        built[at] = _read_sends(warehouse)
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


def test_every_send_has_one_status_and_reruns_agree(
    sends_at: Mapping[datetime, Sequence[dict[str, Any]]],
) -> None:
    """One row per send_key at every instant, and a send sent or expired stays so."""
    final: dict[str, str] = {}
    for at in USED_INSTANTS:
        keys = [s["send_key"] for s in sends_at[at]]
        assert len(keys) == len(set(keys)), at
        for send in sends_at[at]:
            earlier = final.get(send["send_key"])
            if earlier == "sent":
                assert send["status"] == "sent", (at, send)
            final[send["send_key"]] = send["status"]
