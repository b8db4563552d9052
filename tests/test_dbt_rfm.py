"""`contact_rfm` against an independent Python recompute from the raw rows."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from nudge.dbt_runner import run_dbt
from nudge.generator import generate
from tests.fixtures.raw_rows import AS_OF, write_raw_rows
from tests.reference.rfm import Rfm, expected_rfm

GENERATED_AS_OF = datetime(2026, 11, 1)


def _built_rfm(warehouse: Path, as_of: datetime) -> dict[str, Rfm]:
    # contact_rfm, what it is built from and their tests: the whole project's build with its
    # tests runs on the hand-made rows in test_portability and on another generated store
    # (300 contacts) in test_generator_quarantine
    run_dbt(
        ["build", "--select", "+contact_rfm", "--indirect-selection", "cautious"],
        warehouse,
        dbt_vars={"as_of": as_of.isoformat(sep=" ")},
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select contact_id, recency_days, frequency, monetary, r_score, f_score, m_score,"
            " rfm_segment from contacts.contact_rfm"
        ).fetchall()
    return {row[0]: Rfm(*row[1:]) for row in rows}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Rfm]]:
    warehouse = tmp_path_factory.mktemp("generated") / "nudge.duckdb"
    generate(warehouse, contacts=600, seed=7, end=GENERATED_AS_OF, days=365)
    return warehouse, _built_rfm(warehouse, GENERATED_AS_OF)


def test_rfm_equals_python_recompute_on_generated_data(
    generated: tuple[Path, dict[str, Rfm]],
) -> None:
    warehouse, built = generated
    expected = expected_rfm(warehouse, GENERATED_AS_OF)
    assert len(expected) > 100
    assert built.keys() == expected.keys()
    different = {c: (built[c], expected[c]) for c in expected if built[c] != expected[c]}
    assert not different, f"{len(different)} contacts differ, e.g. {next(iter(different.items()))}"


def test_rfm_equals_python_recompute_on_hand_made_rows(tmp_path: Path) -> None:
    warehouse = tmp_path / "nudge.duckdb"
    write_raw_rows(warehouse)
    built = _built_rfm(warehouse, AS_OF)
    assert built
    assert built == expected_rfm(warehouse, AS_OF)


@pytest.mark.parametrize("measure", ["recency_days", "frequency", "monetary"])
def test_equal_values_get_equal_scores(
    generated: tuple[Path, dict[str, Rfm]], measure: str
) -> None:
    _, built = generated
    score = {"recency_days": "r_score", "frequency": "f_score", "monetary": "m_score"}[measure]
    scores_by_value: dict[object, set[int]] = {}
    for rfm in built.values():
        scores_by_value.setdefault(getattr(rfm, measure), set()).add(getattr(rfm, score))
    tied_values = [
        v for v in scores_by_value if sum(getattr(r, measure) == v for r in built.values()) > 1
    ]
    assert tied_values, f"the generated data has no ties on {measure}: the test would prove nothing"
    assert all(len(scores) == 1 for scores in scores_by_value.values())
    # scores still spread over the whole 1..5 range where the values allow it
    assert {getattr(r, score) for r in built.values()} >= {1, 5}
