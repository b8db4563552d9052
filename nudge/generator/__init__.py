"""Sample data: a believable online store's raw events, identify calls and catalog history.

`generate()` (re)creates `raw.events`, `raw.identifies` and `raw.product_catalog` in a
DuckDB warehouse exactly as docs/contracts/raw_events.md describes them, including the
bad input the contract lists (each broken row has exactly one defect, so the staging
models quarantine it for the reason counted here), collector re-deliveries, late
arrivals, anonymous browsing stitched by later identify calls, and one drift column.

Contacts are simulated in fixed blocks of `BLOCK_CONTACTS` with numpy (no Python loop per
person or event) and appended block by block, so memory stays bounded whatever the size.
The same (contacts, seed, end, days, shares) always gives the same tables.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import duckdb
import numpy as np

from nudge.generator.assemble import (
    STREAM_BLOCK_BROKEN,
    STREAM_CATALOG,
    STREAM_CATALOG_BROKEN,
    STREAM_PREFERENCES_BROKEN,
    block_bounds,
    simulate_block,
    stream,
)
from nudge.generator.bad_rows import (
    Corrupted,
    catalog_reasons,
    corrupt,
    event_reasons,
    identify_reasons,
)
from nudge.generator.catalog import Catalog, build_catalog, product_count
from nudge.generator.common import DAY, I64, NULL, message_keys
from nudge.generator.frames import Rows, lexsort
from nudge.generator.writer import RawWriter

# message id key spaces; preference events have their own, so the other events keep theirs
TABLE_EVENTS, TABLE_IDENTIFIES, TABLE_PREFERENCES = 0, 1, 2
# DuckDB only streams appends to disk here; capping its buffer pool keeps the process small
# (the default, 80% of RAM, lets cached table blocks pile up on large runs)
DUCKDB_MEMORY_LIMIT = "2GB"
# one DuckDB thread: on the 2-core VM of BENCHMARKS.md a block's INSERT with two threads
# cost 17-60% more CPU time than with one and was no faster by the clock
DUCKDB_THREADS = 1


@dataclass
class GenerationResult:
    rows: dict[str, int]  # raw table name -> rows written (broken and duplicate rows included)
    bad_rows: dict[tuple[str, str], int]  # (table, quarantine reason) -> broken rows injected
    duplicates: dict[str, int]  # table -> exact re-deliveries injected
    contacts: int
    products: int
    seed: int
    end: datetime
    elapsed_seconds: float
    invalid_emails: int  # kept identify rows whose email trait is not a valid address


def epoch_seconds(instant: datetime) -> int:
    """A naive datetime is UTC (the contract's timestamps); an aware one is converted."""
    if instant.tzinfo is not None:
        instant = instant.astimezone(UTC).replace(tzinfo=None)
    return int((instant - datetime(1970, 1, 1)).total_seconds())


def catalog_history(catalog: Catalog) -> dict[str, I64]:
    return {
        "product": catalog.hist_product.copy(),
        "ts": catalog.hist_time.copy(),
        "price": catalog.hist_price.copy(),
        "stock": catalog.hist_stock.copy(),
    }


def _arrival_order(frame: Rows, cursor: str, tiebreak: str) -> Rows:
    """Rows in the order a collector appends them: by arrival (missing first)."""
    return frame.take(lexsort((frame[tiebreak], frame[cursor])))


def generate(
    warehouse: Path,
    *,
    contacts: int = 1000,
    seed: int = 42,
    end: datetime,
    days: int = 365,
    bad_row_share: float = 0.01,
    duplicate_share: float = 0.01,
    progress: Callable[[int, int], None] | None = None,
) -> GenerationResult:
    """Write the three raw tables into the DuckDB file `warehouse` (replacing them).

    History covers the `days` before `end` (naive = UTC); nothing lands after `end`.
    `bad_row_share` and `duplicate_share` are shares of the rows written per table (each
    quarantine reason gets at least one broken row when the share is above zero)."""
    started = time.perf_counter()
    if contacts < 0 or days < 1:
        raise ValueError("contacts must be >= 0 and days >= 1")
    if bad_row_share < 0 or duplicate_share < 0 or bad_row_share + duplicate_share >= 1:
        raise ValueError("bad_row_share and duplicate_share must be >= 0 and sum to < 1")
    end_s = epoch_seconds(end)
    start_s = end_s - days * DAY
    catalog = build_catalog(stream(seed, STREAM_CATALOG), product_count(contacts), start_s, end_s)

    rows = {"events": 0, "identifies": 0, "product_catalog": 0}
    duplicates = dict.fromkeys(rows, 0)
    bad_rows: dict[tuple[str, str], int] = {}
    invalid_emails = 0

    def tally(table: str, result: Corrupted) -> None:
        rows[table] += result.frame.n_rows
        duplicates[table] += result.duplicates
        for reason, count in result.bad_rows.items():
            bad_rows[(table, reason)] = bad_rows.get((table, reason), 0) + count

    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(
        str(warehouse), config={"memory_limit": DUCKDB_MEMORY_LIMIT, "threads": DUCKDB_THREADS}
    ) as con:
        # DuckDB's own bar for long queries would cut into the caller's progress output
        con.execute("set enable_progress_bar = false")
        writer = RawWriter(con, catalog, seed, contacts)
        writer.create_tables()

        reasons = catalog_reasons()
        history = corrupt(
            stream(seed, STREAM_CATALOG_BROKEN),
            catalog_history(catalog),
            reasons,
            bad_row_share,
            duplicate_share,
            end_s,
        )
        # by update time; rows updated at the same time keep their order
        by_time = np.argsort(history.frame["ts"], kind="stable")
        writer.write_catalog(history.frame.take(by_time), [r.code for r in reasons])
        tally("product_catalog", history)

        e_reasons, i_reasons = event_reasons(start_s), identify_reasons(start_s)
        for block, (first, count) in enumerate(block_bounds(contacts)):
            simulated = simulate_block(seed, block, first, count, catalog, start_s, end_s)
            rng = stream(seed, STREAM_BLOCK_BROKEN, block)
            events = corrupt(
                rng,
                simulated.events,
                e_reasons,
                bad_row_share,
                duplicate_share,
                end_s,
                keys=partial(message_keys, seed, TABLE_EVENTS, block),
            )
            identifies = corrupt(
                rng,
                simulated.identifies,
                i_reasons,
                bad_row_share,
                duplicate_share,
                end_s,
                keys=partial(message_keys, seed, TABLE_IDENTIFIES, block),
            )
            # re-delivered like the other events, never broken: their own quarantine reason
            # (invalid_preference) is not among the ones generated here
            preferences = corrupt(
                stream(seed, STREAM_PREFERENCES_BROKEN, block),
                simulated.preferences,
                e_reasons,
                0.0,
                duplicate_share,
                end_s,
                keys=partial(message_keys, seed, TABLE_PREFERENCES, block),
            )
            writer.append_events(
                _arrival_order(Rows.stack([events.frame, preferences.frame]), "recv", "mkey"),
                simulated.lines,
                [r.code for r in e_reasons],
            )
            writer.append_identifies(
                _arrival_order(identifies.frame, "recv", "mkey"), [r.code for r in i_reasons]
            )
            tally("events", events)
            tally("events", preferences)
            tally("identifies", identifies)
            invalid_emails += simulated.invalid_emails
            if progress is not None:
                progress(first + count, contacts)
        con.execute("checkpoint")

    return GenerationResult(
        rows=rows,
        bad_rows=dict(sorted(bad_rows.items())),
        duplicates=duplicates,
        contacts=contacts,
        products=catalog.n_products,
        seed=seed,
        end=end,
        elapsed_seconds=time.perf_counter() - started,
        invalid_emails=invalid_emails,
    )


__all__ = ["NULL", "GenerationResult", "generate"]
