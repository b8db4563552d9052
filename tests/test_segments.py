"""Segments on hand-made rows: the scenario contacts are members, and segment_transitions
records each entry and exit once across runs (tests/fixtures/segment_rows.py)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from nudge.cli import app
from nudge.dbt_runner import run_dbt
from nudge.paths import PROJECT_ROOT
from tests.fixtures.segment_rows import AS_OF, EXPECTED_MEMBERS, LEAVES_AT, write_segment_rows

pytestmark = pytest.mark.slow

Transition = tuple[str, str, str, datetime]


# the segments and what they read; the data and unit tests of those models are the
# scenario and portability tests' job, and four builds with them cost minutes
SEGMENTS_BUILD = [
    "build",
    "--select",
    "+segment_transitions",
    "--exclude",
    "resource_type:test",
    "resource_type:unit_test",
]


def _build(warehouse: Path, as_of: datetime) -> None:
    run_dbt(SEGMENTS_BUILD, warehouse, dbt_vars={"as_of": as_of.isoformat(sep=" ")}, quiet=True)


def _members(warehouse: Path) -> dict[str, set[str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select segment_key, contact_id from segments.segment_memberships"
        ).fetchall()
    members: dict[str, set[str]] = {}
    for segment_key, contact_id in rows:
        members.setdefault(segment_key, set()).add(contact_id)
    return members


def _transitions(warehouse: Path) -> list[Transition]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select segment_key, contact_id, transition, transitioned_at"
            " from segments.segment_transitions"
            " order by transitioned_at, segment_key, contact_id, transition"
        ).fetchall()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def _replayed_members(transitions: list[Transition]) -> dict[str, set[str]]:
    """Membership as the transition history tells it: pairs whose latest move is an entry."""
    latest: dict[tuple[str, str], str] = {}
    for segment_key, contact_id, transition, _ in transitions:  # in time order
        latest[(segment_key, contact_id)] = transition
    members: dict[str, set[str]] = {}
    for (segment_key, contact_id), transition in latest.items():
        if transition == "entered":
            members.setdefault(segment_key, set()).add(contact_id)
    return members


def test_segment_transitions_are_recorded_once_across_runs(tmp_path: Path) -> None:
    warehouse = tmp_path / "nudge.duckdb"
    write_segment_rows(warehouse)

    _build(warehouse, AS_OF)
    members = _members(warehouse)
    for segment_key, contacts in EXPECTED_MEMBERS.items():
        assert members.get(segment_key) == contacts, segment_key
    first = _transitions(warehouse)
    assert first and {t[2] for t in first} == {"entered"}
    assert {t[3] for t in first} == {AS_OF}
    assert _replayed_members(first) == members

    # the same as_of again: nothing new
    _build(warehouse, AS_OF)
    assert _transitions(warehouse) == first
    assert _members(warehouse) == members

    # 30 minutes later seg_app's app open is out of the 30-day window: one exit, nothing else
    _build(warehouse, LEAVES_AT)
    later = _transitions(warehouse)
    assert later[: len(first)] == first
    assert later[len(first) :] == [("app_users", "seg_app", "exited", LEAVES_AT)]
    later_members = _members(warehouse)
    assert "app_users" not in later_members
    assert _replayed_members(later) == later_members

    # and again at that as_of: still nothing new
    _build(warehouse, LEAVES_AT)
    assert _transitions(warehouse) == later
    _check_catalog(warehouse, later_members)


def _check_catalog(warehouse: Path, members: dict[str, set[str]]) -> None:
    """`nudge segments --format json` on the same builds: sizes equal the memberships, and the
    week's moves are the transitions above (app_users: entered at AS_OF, exited 30 min later)."""
    result = CliRunner().invoke(
        app, ["segments", "--format", "json", "--warehouse", str(warehouse)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    catalog = {row["segment"]: row for row in json.loads(result.output)}
    assert {key: row["members"] for key, row in catalog.items() if row["members"]} == {
        key: len(contacts) for key, contacts in members.items()
    }
    assert catalog["app_users"] | {"definition": ""} == {
        "segment": "app_users",
        "members": 0,
        "change": 0,
        "entered": 1,
        "exited": 1,
        "synced_to": [],
        "definition": "",
    }
    assert catalog["app_users"]["definition"].startswith("Application Opened within")
    # models/marts/syncs/_syncs__exposures.yml: klaviyo_segments lists, segment events
    assert catalog["high_value"]["synced_to"] == [
        "klaviyo events",
        'klaviyo list "Nudge — high_value"',
    ]
    seed = (PROJECT_ROOT / "seeds" / "rfm_segment_map.csv").read_text().splitlines()[1:]
    assert {key for key in catalog if key.startswith("rfm_")} == {
        "rfm_" + line.split(",")[2] for line in seed
    }
    assert catalog["rfm_champions"]["definition"] == "RFM recency/frequency scores 5/5, 5/4"
