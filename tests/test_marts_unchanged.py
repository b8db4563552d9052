"""Every mart is as it was (issue 14: models rewritten for speed must give the same results).

A small generated store (test_portability's: 200 contacts, seed 11, 180 days to
2026-11-01, with its send history, tests/fixtures/send_history.py, so the performance marts
have sends to measure, and a predictions table, tests/fixtures/store_predictions.py, so the
marts reading predictions have some) is built with `dbt run` as of the end, and each
relation built from models/marts/** is fingerprinted (bench/marts.py: row count, an md5
over the rows and per column, doubles rounded to 6 decimals) and compared with
tests/fixtures/mart_fingerprints.json, which holds the fingerprints of the build before the
change. A failure names each mart and column that differs.

The store comes from the generator as it is, so a generator change fails this test too.

When a mart is meant to change, regenerate the file from the new code and commit it with the
change, saying why:

    .venv/bin/python -m tests.test_marts_unchanged --write

(the same build as the test; or, on the warehouse a failed run left behind, whose path the
failure message gives: `.venv/bin/python -m bench.marts fingerprint --warehouse <path>
--write tests/fixtures/mart_fingerprints.json`). To see which rows changed, compare the
marts of two builds of a bench store: `.venv/bin/python -m bench.marts compare-ref --ref HEAD`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import datetime
from pathlib import Path

import pytest

from bench.marts import fingerprint_differences, fingerprints, write_fingerprints
from nudge.dbt_runner import parse_manifest, run_dbt
from nudge.generator import generate
from nudge.paths import PROJECT_ROOT
from tests.fixtures.send_history import write_send_history
from tests.fixtures.store_predictions import write_store_predictions

pytestmark = pytest.mark.slow

FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "mart_fingerprints.json"
CONTACTS = 200
SEED = 11
DAYS = 180
AS_OF = datetime(2026, 11, 1)
REGENERATE = ".venv/bin/python -m tests.test_marts_unchanged --write"


def build_store(warehouse: Path) -> Path:
    """Generate the store into `warehouse`, add its send history and predictions, and
    `dbt run` as of AS_OF (seeds first); dbt parses the project once for both."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    generate(warehouse, contacts=CONTACTS, seed=SEED, end=AS_OF, days=DAYS)
    write_send_history(warehouse, AS_OF)
    write_store_predictions(warehouse, AS_OF)
    manifest = parse_manifest(warehouse)
    run_dbt(["seed"], warehouse, quiet=True, manifest=manifest)
    run_dbt(
        ["run"],
        warehouse,
        dbt_vars={"as_of": AS_OF.isoformat(sep=" ")},
        quiet=True,
        manifest=manifest,
    )
    return warehouse


def test_every_mart_is_unchanged(tmp_path: Path) -> None:
    warehouse = build_store(tmp_path / "marts" / "nudge.duckdb")
    actual = fingerprints(warehouse)
    expected = json.loads(FIXTURE.read_text(encoding="utf-8"))
    differences = fingerprint_differences(expected, actual)
    assert not differences, (
        f"{len(differences)} marts differ from {FIXTURE.relative_to(PROJECT_ROOT)}:\n"
        + "\n".join(f"  {line}" for line in differences)
        + "\nIf the change is intended, regenerate the file and commit it with the change:\n"
        f"  {REGENERATE}\n"
        f"or from this build: .venv/bin/python -m bench.marts fingerprint --warehouse "
        f"{warehouse} --write {FIXTURE.relative_to(PROJECT_ROOT)}"
    )
    # the store has something to compare: no mart missing, the performance marts not empty
    assert not [r for r, fp in actual["marts"].items() if fp.get("missing")]
    assert actual["marts"]["performance.flow_performance"]["rows"] > 0


def main(argv: list[str] | None = None) -> None:
    """Build the test's store and print or write its marts' fingerprints."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--write", action="store_true", help=f"write {FIXTURE}")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="nudge-marts-") as tmp:
        document = fingerprints(build_store(Path(tmp) / "nudge.duckdb"))
    if args.write:
        write_fingerprints(document, FIXTURE)
        print(f"wrote {len(document['marts'])} marts' fingerprints to {FIXTURE}")
    else:
        expected = json.loads(FIXTURE.read_text(encoding="utf-8")) if FIXTURE.exists() else {}
        print("\n".join(fingerprint_differences(expected, document)) or "every mart unchanged")


if __name__ == "__main__":
    main()
