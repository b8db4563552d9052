"""The hand-written limit for `+contact_rfm` (bench/rfm_limit.sql): run it, and compare its
result with the contact_rfm the models built."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

LIMIT_SQL = Path(__file__).with_name("rfm_limit.sql")
LIMIT_TABLE = "main.bench_rfm_limit"
MODEL_TABLE = "contacts.contact_rfm"
COLUMNS = (
    "contact_id",
    "last_order_at",
    "recency_days",
    "frequency",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "rfm_score",
    "rfm_segment",
)
# the project's defaults (dbt_project.yml vars); the limit takes them as parameters
DEFAULT_VARS = {"lookback_days": 730, "earliest": "2000-01-01", "skew_hours": 24}


def limit_parameters(as_of: datetime) -> dict[str, object]:
    return {"as_of": as_of, **DEFAULT_VARS}


def run_limit(con: duckdb.DuckDBPyConnection, as_of: datetime) -> int:
    """Create LIMIT_TABLE from the raw tables; the number of contacts in it."""
    sql = LIMIT_SQL.read_text()
    con.execute(f"create or replace table {LIMIT_TABLE} as {sql}", limit_parameters(as_of))
    count = con.execute(f"select count(*) from {LIMIT_TABLE}").fetchone()
    return int(count[0]) if count else 0


@dataclass(frozen=True)
class Comparison:
    limit_rows: int
    model_rows: int
    only_in_limit: int
    only_in_model: int
    examples: list[tuple[object, ...]]

    @property
    def equal(self) -> bool:
        return self.only_in_limit == 0 and self.only_in_model == 0

    def summary(self) -> str:
        if self.equal:
            return f"equal: {self.model_rows:,} contacts, every column of every row the same"
        return (
            f"DIFFERENT: limit {self.limit_rows:,} rows, contact_rfm {self.model_rows:,}; "
            f"{self.only_in_limit:,} rows only in the limit, {self.only_in_model:,} only in "
            f"contact_rfm; e.g. {self.examples[:3]}"
        )


def compare(
    con: duckdb.DuckDBPyConnection, limit_table: str = LIMIT_TABLE, model_table: str = MODEL_TABLE
) -> Comparison:
    """Row-for-row comparison over every column (multiset: duplicates count)."""
    cols = ", ".join(COLUMNS)

    def count(sql: str) -> int:
        row = con.execute(sql).fetchone()
        return int(row[0]) if row else 0

    left = f"select {cols} from {limit_table}"
    right = f"select {cols} from {model_table}"
    only_limit = f"({left} except all {right})"
    only_model = f"({right} except all {left})"
    examples = con.execute(
        f"select 'limit' as side, * from {only_limit} "
        f"union all select 'model', * from {only_model} order by 2, 1 limit 6"
    ).fetchall()
    return Comparison(
        limit_rows=count(f"select count(*) from {limit_table}"),
        model_rows=count(f"select count(*) from {model_table}"),
        only_in_limit=count(f"select count(*) from {only_limit}"),
        only_in_model=count(f"select count(*) from {only_model}"),
        examples=[tuple(row) for row in examples],
    )


def compare_files(limit_warehouse: Path, model_warehouse: Path) -> Comparison:
    """Compare LIMIT_TABLE in one warehouse file with contact_rfm in another."""
    with duckdb.connect() as con:
        con.execute(f"attach '{limit_warehouse}' as lim (read_only)")
        con.execute(f"attach '{model_warehouse}' as mdl (read_only)")
        return compare(con, f"lim.{LIMIT_TABLE}", f"mdl.{MODEL_TABLE}")
