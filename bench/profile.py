"""Where a dbt run's CPU goes, per model: run one dbt command on a DuckDB warehouse with one
dbt thread and charge the process's CPU time (user + sys of every thread, so DuckDB's own
worker threads too) spent inside each SQL statement to the node that issued it.

    python -m bench.profile [--top N] [--json out.json] <warehouse> <as_of> run [dbt args...]

dbt tags every statement with its node (dbt_project.yml's query-comment, `nudge: <unique
id>`); a statement without the tag (dbt's own COMMIT, where DuckDB checkpoints the data
written so far) is charged to the node before it, under `<node> (commit)`. What is not
inside a statement (Python start, loading dbt's parse state, compiling, Jinja, hooks'
Python) is `outside SQL`. One dbt thread, so statements never overlap; DuckDB still uses
its threads inside each one. node s from run_results.json (wall, under load) is beside it.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nudge.dbt_runner import dbt_artifacts_dir, run_dbt

NODE_TAG = re.compile(r"/\* nudge: (\S+) \*/")


def process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def node_of(sql: str, previous: str) -> str:
    """The node a statement is charged to: its query-comment tag, else `<previous> (commit)`
    (dbt's untagged statements are its transaction commits)."""
    tagged = NODE_TAG.search(sql)
    if tagged:
        return tagged.group(1)
    return f"{previous.removesuffix(' (commit)')} (commit)" if previous else "dbt (commit)"


@dataclass
class Charges:
    """CPU seconds and statement counts per node, in the order statements ran."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    statements: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    last: str = ""
    # (CPU s, node, statement) of every statement, for the costliest ones
    each: list[tuple[float, str, str]] = field(default_factory=list)

    def charge(self, sql: str, seconds: float) -> None:
        node = node_of(sql, self.last)
        self.seconds[node] += seconds
        self.statements[node] += 1
        self.each.append((seconds, node, sql))
        self.last = node


@contextmanager
def charging(charges: Charges, clock: Callable[[], float] = process_cpu) -> Iterator[None]:
    """While open, every statement dbt-duckdb executes is timed and charged."""
    from dbt.adapters.duckdb.environments import local

    original = local.DuckDBCursorWrapper.execute

    def execute(self: Any, sql: str, bindings: Any = None) -> Any:
        started = clock()
        try:
            return original(self, sql, bindings)
        finally:
            charges.charge(sql, clock() - started)

    local.DuckDBCursorWrapper.execute = execute  # type: ignore[method-assign]
    try:
        yield
    finally:
        local.DuckDBCursorWrapper.execute = original  # type: ignore[method-assign]


def profile(
    warehouse: Path, as_of: str, dbt_args: list[str], statements: int = 0
) -> dict[str, Any]:
    charges = Charges()
    started_cpu, started_wall = process_cpu(), time.perf_counter()
    with charging(charges):
        run_dbt([*dbt_args, "--threads", "1"], warehouse, dbt_vars={"as_of": as_of}, quiet=True)
    total = process_cpu() - started_cpu
    results = json.loads(
        (dbt_artifacts_dir(warehouse) / "target" / "run_results.json").read_text(encoding="utf-8")
    )["results"]
    node_seconds = {r["unique_id"]: float(r.get("execution_time") or 0) for r in results}
    in_sql = sum(charges.seconds.values())
    return {
        "cpu_s": round(total, 2),
        "wall_s": round(time.perf_counter() - started_wall, 2),
        "sql_cpu_s": round(in_sql, 2),
        "outside_sql_cpu_s": round(total - in_sql, 2),
        "nodes": [
            {
                "node": node,
                "cpu_s": round(seconds, 3),
                "statements": charges.statements[node],
                "node_s": round(node_seconds.get(node, 0.0), 3),
            }
            for node, seconds in sorted(charges.seconds.items(), key=lambda item: -item[1])
        ],
        "statements": [
            {"cpu_s": round(seconds, 3), "node": node, "sql": sql}
            for seconds, node, sql in sorted(charges.each, key=lambda item: -item[0])[:statements]
        ],
    }


def report(profiled: dict[str, Any], top: int) -> str:
    lines = [
        f"CPU {profiled['cpu_s']:.1f} s (wall {profiled['wall_s']:.1f} s): "
        f"in SQL {profiled['sql_cpu_s']:.1f} s, outside SQL {profiled['outside_sql_cpu_s']:.1f} s",
        f"{'CPU s':>7} {'stmts':>5} {'node s':>7}  node",
    ]
    for row in profiled["nodes"][:top]:
        name = row["node"].split(".")[-1] if "(commit)" not in row["node"] else row["node"]
        lines.append(f"{row['cpu_s']:7.2f} {row['statements']:5d} {row['node_s']:7.2f}  {name}")
    if profiled["statements"]:
        lines.append(f"{'CPU s':>7}  costliest statements (their SQL in --json)")
    for row in profiled["statements"]:
        head = " ".join(row["sql"].split())[:110]
        lines.append(f"{row['cpu_s']:7.2f}  {row['node'].split('.')[-1]}: {head}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--top", type=int, default=40, help="nodes listed (default 40)")
    parser.add_argument("--json", type=Path, help="also write every node's figures here")
    parser.add_argument(
        "--statements", type=int, default=0, help="also list the N costliest statements"
    )
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("as_of")
    parser.add_argument(
        "dbt_args", nargs=argparse.REMAINDER, help="e.g. run, or run --select +contact_rfm"
    )
    args = parser.parse_args(argv)
    if not args.dbt_args:
        parser.error("give the dbt command to profile, e.g. run")
    profiled = profile(args.warehouse, args.as_of, args.dbt_args, args.statements)
    print(report(profiled, args.top))
    if args.json:
        args.json.write_text(json.dumps(profiled, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
