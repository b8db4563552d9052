"""Names dbt turns into relations must fit every engine: PostgreSQL truncates nothing and
refuses a relation name over 63 characters (a unit test's name becomes one)."""

import csv
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[1]
POSTGRES_NAME_LIMIT = 63


def _unit_test_names() -> list[tuple[str, str]]:
    names = []
    for path in sorted((PROJECT / "models").rglob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for unit_test in document.get("unit_tests") or []:
            names.append((str(path.relative_to(PROJECT)), unit_test["name"]))
    return names


def test_project_declares_unit_tests() -> None:
    assert len(_unit_test_names()) > 20


def test_unit_test_names_fit_postgres() -> None:
    too_long = [
        f"{path}: {name} ({len(name)} characters)"
        for path, name in _unit_test_names()
        if len(name) > POSTGRES_NAME_LIMIT
    ]
    assert not too_long, "rename (PostgreSQL's limit is 63):\n" + "\n".join(too_long)


def test_seed_texts_are_not_read_as_null() -> None:
    """dbt and SQLMesh (pandas) load these texts as NULL, so a seed cannot mean them as text."""
    read_as_null = {"null", "n/a", "na", "nan", "none", "#n/a", "<na>"}
    for path in sorted((PROJECT / "seeds").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for line_number, row in enumerate(csv.reader(handle), 1):
                texts = {cell.strip().lower() for cell in row}
                assert not read_as_null & texts, f"{path.name}:{line_number} {row}"
