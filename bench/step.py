"""One measured step, run in its own process by bench.measure (so its peak RSS is its own):

    python -m bench.step limit <warehouse> <as_of>
    python -m bench.step dbt <warehouse> <as_of> <dbt args...>

Prints one JSON line of detail last."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path


def node_name(unique_id: str) -> str:
    """model.nudge.x -> x; test.nudge.not_null_x_c.<hash> -> not_null_x_c (not the hash)."""
    parts = unique_id.split(".")
    return parts[2] if parts[0] == "test" and len(parts) > 3 else parts[-1]


def node_timings(run_results: Path) -> dict[str, object]:
    """Node counts and execution seconds from dbt's run_results.json: models and tests
    summed separately (seeds and hooks in neither), and the slowest nodes."""
    results = json.loads(run_results.read_text())["results"]
    timings = sorted(
        ((float(r.get("execution_time") or 0.0), str(r["unique_id"])) for r in results),
        reverse=True,
    )
    tests = ("test.", "unit_test.")  # data tests and dbt unit tests
    return {
        "models": sum(node.startswith("model.") for _, node in timings),
        "tests": sum(node.startswith(tests) for _, node in timings),
        "model_seconds": round(sum(t for t, node in timings if node.startswith("model.")), 1),
        "test_seconds": round(sum(t for t, node in timings if node.startswith(tests)), 1),
        "unit_tests": sum(node.startswith("unit_test.") for _, node in timings),
        "unit_test_seconds": round(
            sum(t for t, node in timings if node.startswith("unit_test.")), 1
        ),
        "slowest": [[round(t, 1), node_name(node)] for t, node in timings[:10]],
    }


def main(argv: list[str]) -> None:
    kind, warehouse, as_of = argv[0], Path(argv[1]), argv[2]
    started = time.perf_counter()
    detail: dict[str, object]
    if kind == "limit":
        import duckdb

        from bench.limit import run_limit

        # the same bound as dbt's DuckDB (profiles.yml, settings.memory_limit)
        bound = os.environ.get("NUDGE_DUCKDB_MEMORY_LIMIT", "4GB")
        with duckdb.connect(str(warehouse), config={"memory_limit": bound}) as con:
            detail = {"rows": run_limit(con, datetime.fromisoformat(as_of))}
    elif kind == "dbt":
        from nudge.dbt_runner import dbt_artifacts_dir, run_dbt

        run_dbt(argv[3:], warehouse, dbt_vars={"as_of": as_of}, quiet=True)
        ran_nodes = argv[3] != "parse"
        results = dbt_artifacts_dir(warehouse) / "target" / "run_results.json"
        detail = node_timings(results) if ran_nodes else {}
    else:
        raise SystemExit(f"unknown step kind {kind!r}")
    detail["inner_seconds"] = round(time.perf_counter() - started, 2)
    print(json.dumps(detail))


if __name__ == "__main__":
    main(sys.argv[1:])
