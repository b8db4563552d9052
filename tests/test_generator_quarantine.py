"""Generated raw data through `dbt build`: every broken row the generator injects is
quarantined by the staging models for exactly the reason it was made for, every
re-delivery is dropped as a duplicate, and rows read = kept + duplicates + quarantined."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from nudge.dbt_runner import run_dbt
from nudge.generator import generate

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
        reconciliation = {
            str(table): (int(read), int(kept), int(duplicates), int(quarantined_count))
            for table, read, kept, duplicates, quarantined_count in con.execute(
                "select source_table, rows_read, rows_kept, duplicates, quarantined"
                " from staging.stg_raw_row_reconciliation"
            ).fetchall()
        }
        invalid_emails = con.execute(
            "select count(*) from staging.stg_identifies where email_is_invalid"
        ).fetchone()

    assert quarantined == result.bad_rows
    assert {t: r[2] for t, r in reconciliation.items()} == result.duplicates
    for table, (read, kept, duplicates, quarantined_rows) in reconciliation.items():
        assert read == kept + duplicates + quarantined_rows, table
        assert read == result.rows[table], table  # nothing landed after as_of
        assert quarantined_rows == sum(n for (t, _), n in result.bad_rows.items() if t == table)
    assert invalid_emails == (result.invalid_emails,)
    assert result.invalid_emails > 0
