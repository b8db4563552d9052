"""The generated store the steps run on: generated once per (contacts, seed, days, end) and
cached with its seeds loaded, then copied for each step so every step starts from the same
data; and the 15-minute increment appended after the history's end."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from nudge.dbt_runner import dbt_artifacts_dir, run_dbt
from nudge.generator import generate

INCREMENT = timedelta(minutes=15)
# the increment copies the events that landed in the 15 minutes from this long before the
# end (midday of the last day for an end at midnight: a busy quarter hour, not the night's)
INCREMENT_SOURCE_OFFSET = timedelta(hours=12)
INCREMENT_ID_SUFFIX = "~bench+15m"


def cached_store(
    cache: Path, contacts: int, seed: int, days: int, end: datetime
) -> tuple[Path, dict[str, int]]:
    """The cached generated warehouse (generated and seeded when absent) and its row counts."""
    cache.mkdir(parents=True, exist_ok=True)
    name = f"store-c{contacts}-s{seed}-d{days}-{end:%Y%m%dT%H%M}"
    path = cache / f"{name}.duckdb"
    if not path.exists():
        partial = cache / f"{name}.partial.duckdb"
        partial.unlink(missing_ok=True)
        print(f"generating {contacts:,} contacts into {path}", flush=True)
        generate(partial, contacts=contacts, seed=seed, end=end, days=days)
        run_dbt(["seed"], partial, quiet=True)  # reference data `dbt run` reads, not timed
        partial.rename(path)
        shutil.rmtree(dbt_artifacts_dir(partial), ignore_errors=True)
    with duckdb.connect(str(path), read_only=True) as con:
        rows = {
            table: int(con.execute(f"select count(*) from raw.{table}").fetchone()[0])  # type: ignore[index]
            for table in ("events", "identifies", "product_catalog")
        }
    return path, rows


def copy_store(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return target


def append_increment(
    warehouse: Path, end: datetime, shift: timedelta = INCREMENT_SOURCE_OFFSET
) -> int:
    """Land 15 minutes of new events after `end`: the events received in the quarter hour
    `shift` before it, shifted to (end, end + 15 min] with new message_ids.
    Returns the rows appended."""
    start = end - shift
    with duckdb.connect(str(warehouse)) as con:
        inserted = con.execute(
            """
            insert into raw.events by name
            select * replace (
                message_id || ? as message_id,
                "timestamp" + ? as "timestamp",
                received_at + ? as received_at
            )
            from raw.events
            where received_at > ? and received_at <= ?
            """,
            [INCREMENT_ID_SUFFIX, shift, shift, start, start + INCREMENT],
        ).fetchone()
    return int(inserted[0]) if inserted else 0
