"""Generated raw data through `dbt build`: every broken row the generator injects is
quarantined by the staging models for exactly the reason it was made for, every
re-delivery is dropped as a duplicate (the conflicting ones counted as conflicts), every
row landing after as_of is held, and rows read = kept + duplicates + quarantined + held."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from nudge.dbt_runner import run_dbt
from nudge.generator import generate
from nudge.generator.bad_rows import CATALOG_REASONS, EVENT_REASONS, HELD, IDENTIFY_REASONS

END = datetime(2026, 11, 1)


def test_dbt_quarantines_exactly_what_the_generator_injected(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse" / "nudge.duckdb"
    result = generate(warehouse, contacts=300, seed=42, end=END, days=365)

    built = run_dbt(["build"], warehouse, dbt_vars={"as_of": END.isoformat(sep=" ")})
    assert built.success

    # dbt (in-process) may still hold the file: connect with the default configuration
    with duckdb.connect(str(warehouse)) as con:
        quarantined = {
            (str(table), str(reason)): int(count)
            for table, reason, count in con.execute(
                "select source_table, reason, count(*) from staging.stg_quarantined_rows"
                " group by all"
            ).fetchall()
        }
        held_by_reason = {
            (str(table), str(reason)): int(count)
            for table, reason, count in con.execute(
                "select source_table, reason, count(*) from staging.stg_held_rows group by all"
            ).fetchall()
        }
        conflicts = dict(
            con.execute(
                "select source_table, count(*) from staging.stg_duplicate_conflicts group by all"
            ).fetchall()
        )
        reconciliation = {
            str(row[0]): dict(
                zip(
                    ("read", "kept", "dup", "quarantined", "held", "conflicts"),
                    row[1:],
                    strict=True,
                )
            )
            for row in con.execute(
                "select source_table, rows_read, rows_kept, duplicates, quarantined, held,"
                " duplicate_conflicts from staging.stg_raw_row_reconciliation"
            ).fetchall()
        }
        invalid_emails = con.execute(
            "select count(*) from staging.stg_identifies where email_is_invalid"
        ).fetchone()

    assert quarantined == result.bad_rows
    # every quarantine reason of CONTRIBUTING.md's table is exercised, held rows too
    for table, reasons in (
        ("events", EVENT_REASONS),
        ("identifies", IDENTIFY_REASONS),
        ("product_catalog", CATALOG_REASONS),
    ):
        assert {reason for t, reason in quarantined if t == table} == set(reasons), table
    assert held_by_reason == {(t, HELD): n for t, n in result.held.items()}
    assert all(n > 0 for n in result.held.values())
    assert conflicts == result.conflicts
    assert all(n > 0 for n in result.conflicts.values())
    for table, r in reconciliation.items():
        assert r["read"] == r["kept"] + r["dup"] + r["quarantined"] + r["held"], table
        assert r["read"] == result.rows[table], table
        assert r["dup"] == result.duplicates[table], table
        assert r["held"] == result.held[table], table
        assert r["conflicts"] == result.conflicts[table] < r["dup"], table
        assert r["quarantined"] == sum(n for (t, _), n in result.bad_rows.items() if t == table)
    assert invalid_emails == (result.invalid_emails,)
    assert result.invalid_emails > 0
