"""Time the generator and print (or append) a BENCHMARKS.md table row.

    python -m nudge.generator.bench --contacts 100000
    python -m nudge.generator.bench --contacts 100000 --append BENCHMARKS.md

Peak RSS is this process's maximum resident set size (what `/usr/bin/time -v` reports as
"Maximum resident set size"). The row's seconds are wall-clock; the CPU time `generate`
took (user + sys) is printed above the row. The warehouse goes to a temporary folder unless
`--warehouse` is given; it is deleted afterwards unless `--keep`.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path

from nudge.generator import generate

HEADER = (
    "| command | contacts | events | identifies | seconds | peak RSS | machine | date |\n"
    "|---|---:|---:|---:|---:|---:|---|---|\n"
)


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        model = next(
            (line.split(":", 1)[1].strip() for line in lscpu.splitlines() if "Model name" in line),
            model,
        )
    except (OSError, subprocess.CalledProcessError):
        pass
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({model}), {memory_gb:.0f} GB"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--end", default="2026-11-01", help="ISO date or instant (UTC)")
    parser.add_argument("--warehouse", type=Path, help="default: a temporary DuckDB file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary warehouse")
    parser.add_argument("--append", type=Path, help="append the row to this markdown file")
    args = parser.parse_args(argv)

    folder: Path | None = None
    if args.warehouse:
        warehouse: Path = args.warehouse
    else:
        folder = Path(tempfile.mkdtemp(prefix="nudge-bench-"))
        warehouse = folder / "nudge.duckdb"
    started, cpu_started = time.perf_counter(), time.process_time()
    result = generate(
        warehouse,
        contacts=args.contacts,
        seed=args.seed,
        end=datetime.fromisoformat(args.end),
        days=args.days,
        progress=lambda done, total: print(f"\r{done:,}/{total:,} contacts", end="", flush=True),
    )
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    print()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size_mb = warehouse.stat().st_size / 2**20
    command = f"`python -m nudge.generator.bench --contacts {args.contacts}`"
    row = (
        f"| {command} | {args.contacts:,} | {result.rows['events']:,} | "
        f"{result.rows['identifies']:,} | {seconds:.1f} | {peak_mb / 1024:.2f} GB | "
        f"{machine()} | {datetime.now():%Y-%m-%d} |\n"
    )
    print(f"warehouse {size_mb:,.0f} MB at {warehouse}")
    # on a shared machine the wall-clock seconds mostly measure the other work running
    print(
        f"generating took {cpu_seconds:.1f} s of CPU time "
        f"({result.rows['events'] / cpu_seconds:,.0f} events per CPU second)"
    )
    print(HEADER + row, end="")
    if args.append:
        exists = args.append.exists() and HEADER.splitlines()[0] in args.append.read_text()
        with args.append.open("a") as out:
            out.write(row if exists else "\n" + HEADER + row)
    if folder is not None and not args.keep:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
