"""Time the dbt project on a generated store and print (or append) a BENCHMARKS.md table.

    python -m bench.build --contacts 10000
    python -m bench.build --contacts 10000 --append BENCHMARKS.md

The store (N contacts, 365 days to --end) is generated once and cached under --cache keyed
by contacts, seed, days and end, with the seeds loaded. Every step runs on its own copy of
it, in its own process (bench/step.py), measured by bench/measure.py:

(a) limit   bench/rfm_limit.sql: contact_rfm from the raw tables in one DuckDB statement
(a) rfm     dbt run --select +contact_rfm (the models the limit stands for)
(b) run     dbt run: every model, no tests
(c) build   dbt build: seeds, models and tests (what `nudge build` runs)
(d) +15m    on the warehouse (b) built, at the same path with dbt's parse state kept, as
            the live warehouse would be, settled (below): 15 minutes of new events land
            after the settling run, then dbt run as of 15 minutes later (incremental models
            incrementally)
(e) trigger on the same file, restored to its settled state: the dbt selection of Dagster's
            trigger_job (orchestration/jobs.py: the `triggers` group and segment_transitions
            with everything upstream; dbt build, so their data tests too, not unit tests)
            as of the same instant as (d)

Settled: the trigger job's `unique_incremental` tests check only the keys written in the
last `unique_written_keys_hours` (dbt var); within that time of a full build every key
counts as written lately, and they check every key. A live warehouse's full build is
older, so before (d) and (e) an untimed `dbt run` as of end + those hours, with nothing new
landed, takes (b)'s warehouse past that window.

and then checks that the limit's table equals contact_rfm (same contacts, every column).
Each dbt step starts with dbt's parse state in place (an untimed `dbt parse` on its copy),
as every scheduled run after the first does.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from bench.limit import compare_files
from bench.measure import Measured, run_step
from bench.store import (
    INCREMENT,
    INCREMENT_SOURCE_OFFSET,
    append_increment,
    cached_store,
    copy_store,
)
from nudge.dbt_runner import WRITTEN_KEYS_ONLY_ENV
from nudge.generator.bench import machine
from nudge.paths import PROJECT_ROOT

# Dagster's trigger_job (orchestration/jobs.py): AssetSelection.groups("triggers") |
# segment_transitions, .upstream(), the dbt assets among them; groups are folders
# (orchestration/translator.py), so `triggers` is models/marts/triggers/**.
TRIGGER_SELECTION = ["+path:models/marts/triggers", "+segment_transitions"]
# its dbt asset skips unit tests (they test code, which a 15-minute cycle does not change)
TRIGGER_ARGS = ["build", "--select", *TRIGGER_SELECTION, "--exclude-resource-type", "unit_test"]
# and checks the incremental models' key uniqueness on the keys written lately
TRIGGER_ENV = {WRITTEN_KEYS_ONLY_ENV: "1"}
# dbt parses once per project and warehouse path; every step is timed from that state, as
# any scheduled run after the first is (a cold parse costs about 7 CPU s more)
PARSE_STATE = Path("target") / "partial_parse.msgpack"


def written_keys_window() -> timedelta:
    """The trigger job's window of lately written keys: the dbt var unique_written_keys_hours."""
    project = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text())
    return timedelta(hours=float(project["vars"]["unique_written_keys_hours"]))


STEPS = {
    "limit": "(a) limit: `bench/rfm_limit.sql`, one DuckDB statement",
    "rfm": "(a) `dbt run --select +contact_rfm`",
    "run": "(b) `dbt run` (every model, no tests)",
    "build": "(c) `dbt build` (seeds, models, tests; `nudge build`)",
    "increment": "(d) +15 min of events, `dbt run` (incremental)",
    "trigger": f"(e) trigger_job's `dbt {' '.join(TRIGGER_ARGS)}` ({WRITTEN_KEYS_ONLY_ENV}=1)",
}

HEADER = (
    "| contacts | events | step | wall s | CPU s | peak RSS | node s | wall ÷ limit | share | "
    "machine | date |\n"
    "|---:|---:|---|---:|---:|---:|---:|---:|---|---|---|\n"
)


def run_all(
    work: Path, store: Path, end: datetime, steps: frozenset[str] = frozenset(STEPS)
) -> tuple[dict[str, Measured], str, int]:
    """Runs the chosen steps; (d) and (e) need (b)'s warehouse, so they bring (b) along."""
    as_of = f"{end:%Y-%m-%d %H:%M:%S}"
    settled = end + written_keys_window()
    later = f"{settled + INCREMENT:%Y-%m-%d %H:%M:%S}"
    copies = {name: work / f"{name}.duckdb" for name in STEPS}
    measured: dict[str, Measured] = {}

    def step(
        name: str, kind: str, at: str, *dbt_args: str, env: dict[str, str] | None = None
    ) -> None:
        print(f"{STEPS[name]} ...", flush=True)
        if kind == "dbt" and not (_artifacts(copies[name]) / PARSE_STATE).exists():
            run_step(f"{name} parse", ["dbt", str(copies[name]), at, "parse"])
        result = run_step(name, [kind, str(copies[name]), at, *dbt_args], env)
        measured[name] = result
        print(
            f"  {result.wall_s:.1f} s wall, {result.cpu_s:.1f} s CPU, "
            f"{result.peak_rss_mb:,.0f} MB peak; {result.detail}",
            flush=True,
        )

    equality = "not compared (step (a) not run)"
    if steps & {"limit", "rfm"}:
        copy_store(store, copies["limit"])
        step("limit", "limit", as_of)
        copy_store(store, copies["rfm"])
        step("rfm", "dbt", as_of, "run", "--select", "+contact_rfm")
        equality = compare_files(copies["limit"], copies["rfm"]).summary()
        print(f"limit vs contact_rfm: {equality}", flush=True)
        for name in ("limit", "rfm"):
            _remove(copies[name])

    later_steps = steps & {"increment", "trigger"}
    if later_steps or "run" in steps:
        copy_store(store, copies["run"])
        step("run", "dbt", as_of, "run")
    if "build" in steps:
        copy_store(store, copies["build"])
        step("build", "dbt", as_of, "build")
        _remove(copies["build"])
    if not later_steps:
        _remove(copies["run"])
        return measured, equality, 0

    # (d) and (e) run on (b)'s own file: dbt keys its parse state on the warehouse path, and
    # the live warehouse keeps one path, so a copy elsewhere would re-parse the project
    live = copies["increment"] = copies["trigger"] = copies["run"]
    print(f"settling (untimed): dbt run as of {settled:%Y-%m-%d %H:%M:%S} ...", flush=True)
    run_step("settle", ["dbt", str(live), f"{settled:%Y-%m-%d %H:%M:%S}", "run"])
    built = copy_store(live, work / "built.duckdb")
    appended = 0
    for name, dbt_args, env in (("increment", ["run"], {}), ("trigger", TRIGGER_ARGS, TRIGGER_ENV)):
        if name not in later_steps:
            continue
        copy_store(built, live)
        # the same quarter hour of events as landed after `end` itself
        appended = append_increment(live, settled, INCREMENT_SOURCE_OFFSET + (settled - end))
        step(name, "dbt", later, *dbt_args, env=env)
    _remove(live)
    built.unlink()
    return measured, equality, appended


def _artifacts(warehouse: Path) -> Path:
    return warehouse.parent / f"{warehouse.stem}_dbt"


def _remove(warehouse: Path) -> None:
    warehouse.unlink(missing_ok=True)
    shutil.rmtree(_artifacts(warehouse), ignore_errors=True)


def node_time(m: Measured) -> float:
    """dbt's summed node execution seconds (2 threads: may exceed wall); the limit's query."""
    if "model_seconds" in m.detail:
        return float(m.detail["model_seconds"]) + float(m.detail.get("test_seconds", 0))
    return float(m.detail.get("inner_seconds", 0))


def table_rows(
    measured: dict[str, Measured], contacts: int, events: int, appended: int, where: str
) -> str:
    limit = measured["limit"].wall_s if "limit" in measured else None
    run = measured["run"].wall_s if "run" in measured else 0.0
    build = measured["build"].wall_s if "build" in measured else 0.0
    build_detail = measured["build"].detail if "build" in measured else {}
    node_seconds = float(build_detail.get("model_seconds", 0)) + float(
        build_detail.get("test_seconds", 0)
    )

    def share(name: str) -> str:
        """wall and CPU time as a share of the full `dbt run` (b)'s."""
        if name not in measured or "run" not in measured:
            return ""
        m, b = measured[name], measured["run"]
        return f"{m.wall_s / b.wall_s:.0%} of (b) wall, {m.cpu_s / b.cpu_s:.0%} of its CPU"

    shares = {
        "build": (
            f"tests {(build - run) / build:.0%} of wall ((c) - (b)); "
            f"{float(build_detail.get('test_seconds', 0)) / node_seconds:.0%} of node time"
            if build and run and node_seconds
            else ""
        ),
        "increment": f"{share('increment')}; {appended:,} events landed",
        "trigger": share("trigger"),
    }
    rows = []
    for name, label in STEPS.items():
        if name not in measured:
            continue
        m = measured[name]
        ratio = f"{m.wall_s / limit:.1f}x" if limit else "—"
        rows.append(
            f"| {contacts:,} | {events:,} | {label} | {m.wall_s:.1f} | {m.cpu_s:.1f} | "
            f"{m.peak_rss_mb / 1024:.2f} GB | {node_time(m):.1f} | {ratio} | "
            f"{shares.get(name, '')} | {where} | {datetime.now():%Y-%m-%d} |\n"
        )
    return "".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--end", default="2026-11-01", help="ISO date or instant (UTC)")
    parser.add_argument(
        "--cache",
        type=Path,
        default=PROJECT_ROOT / "warehouse" / "bench",
        help="where generated stores are kept between runs (default: warehouse/bench)",
    )
    parser.add_argument("--append", type=Path, help="append the rows to this markdown file")
    parser.add_argument(
        "--steps",
        type=parse_steps,
        default=frozenset(STEPS),
        help=f"comma-separated subset of {','.join(STEPS)} (default: all); limit and rfm "
        "run together, increment and trigger bring run along",
    )
    args = parser.parse_args(argv)

    end = datetime.fromisoformat(args.end)
    store, rows = cached_store(args.cache, args.contacts, args.seed, args.days, end)
    work = args.cache / f"run-c{args.contacts}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        measured, equality, appended = run_all(work, store, end, args.steps)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = table_rows(measured, args.contacts, rows["events"], appended, machine())
    print()
    print(f"limit vs contact_rfm: {equality}")
    print(HEADER + table, end="")
    if args.append:
        exists = args.append.exists() and HEADER.splitlines()[0] in args.append.read_text()
        with args.append.open("a") as out:
            out.write(table if exists else "\n" + HEADER + table)
    if "limit" in measured and not equality.startswith("equal"):
        sys.exit(1)


def parse_steps(text: str) -> frozenset[str]:
    chosen = frozenset(part.strip() for part in text.split(",") if part.strip())
    unknown = sorted(chosen - set(STEPS))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown step(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(STEPS)}"
        )
    return chosen


if __name__ == "__main__":
    main()
