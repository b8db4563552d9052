"""How a dbt run's nodes filled its threads, from its run_results.json and manifest.json.

    python -m bench.timeline <target dir>     # e.g. warehouse/bench/run_dbt/target

Prints the node span (first node's start to last node's end), the seconds in which 0, 1
and 2 or more nodes ran (sampled every 50 ms), and the chain of models that ended last: from
the last model back, each time the input that finished latest.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

STEP = 0.05  # seconds between samples


def _instant(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def node_intervals(run_results: dict) -> dict[str, tuple[float, float]]:
    """unique_id -> (start, end): from its first timing step's start to its last one's end."""
    intervals = {}
    for result in run_results["results"]:
        timing = result["timing"]
        if timing:
            intervals[result["unique_id"]] = (
                _instant(timing[0]["started_at"]),
                _instant(timing[-1]["completed_at"]),
            )
    return intervals


def busy_seconds(intervals: dict[str, tuple[float, float]]) -> dict[int, float]:
    """Seconds of the node span in which n nodes ran (n capped at 2)."""
    start = min(s for s, _ in intervals.values())
    end = max(e for _, e in intervals.values())
    counts: dict[int, float] = {0: 0.0, 1: 0.0, 2: 0.0}
    steps = int((end - start) / STEP)
    for i in range(steps):
        t = start + i * STEP
        running = sum(1 for s, e in intervals.values() if s <= t < e)
        counts[min(running, 2)] += STEP
    return counts


def last_chain(intervals: dict[str, tuple[float, float]], manifest: dict) -> list[str]:
    """The models that ended last, each preceded by its input that finished latest."""
    models = [u for u in intervals if u.startswith("model.")]
    node = max(models, key=lambda u: intervals[u][1]) if models else None
    chain = []
    while node:
        chain.append(node)
        inputs = [u for u in manifest["nodes"][node]["depends_on"]["nodes"] if u in intervals]
        node = max(inputs, key=lambda u: intervals[u][1]) if inputs else None
    return chain[::-1]


def main(argv: list[str]) -> None:
    target = Path(argv[0])
    intervals = node_intervals(json.loads((target / "run_results.json").read_text()))
    manifest = json.loads((target / "manifest.json").read_text())
    first = min(s for s, _ in intervals.values())
    last = max(e for _, e in intervals.values())
    print(f"node span {last - first:.1f} s, {len(intervals)} nodes")
    for running, seconds in busy_seconds(intervals).items():
        print(f"  {running}{'+' if running == 2 else ''} running: {seconds:.1f} s")
    print("chain that ended last (start, end, seconds):")
    for node in last_chain(intervals, manifest):
        s, e = intervals[node]
        print(f"  {s - first:6.1f} {e - first:6.1f} {e - s:5.2f}  {node.split('.')[-1]}")


if __name__ == "__main__":
    main(sys.argv[1:])
