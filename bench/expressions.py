"""Two SQL expressions the models use on DuckDB, each against what it replaced, over the
2.7M rows of a built store's triggered_sends (BENCHMARKS.md):

    python -m bench.expressions <warehouse> [--rounds N]

- a hash bucket (macros/triggers/send_key.sql): the md5's first six hex digits read one by
  one with position(substr(...)) (default__hex_prefix_number) or in one cast
  (duckdb__hex_prefix_number);
- a JSON string (macros/cross_db/json_build.sql): quoted with five nested replaces
  (default__json_escape) or by to_json (duckdb__json_quoted).

Prints the CPU seconds of each round (user + sys of this process, DuckDB's threads
included), and exits non-zero when the two sides of a pair do not give the same sum.
"""

from __future__ import annotations

import argparse
import resource
import sys
from pathlib import Path

import duckdb

HEX = "md5('holdout|' || contact_id || '|' || trigger_key)"
DIGITS = " + ".join(
    f"(position(substr({HEX}, {i + 1}, 1) in '0123456789abcdef') - 1) * {16 ** (5 - i)}"
    for i in range(6)
)
ESCAPED = (
    "replace(replace(replace(replace(replace(series_id, '\\', '\\\\'), '\"', '\\\"'),"
    " chr(10), '\\n'), chr(13), '\\r'), chr(9), '\\t')"
)
# (what is measured, the replaced expression, the one the models use now), summed per row
PAIRS = (
    ("hash bucket", f"({DIGITS}) % 100", f"cast(('0x' || substr({HEX}, 1, 6)) as bigint) % 100"),
    (
        "JSON string",
        f"hash('\"' || {ESCAPED} || '\"')",
        "hash(cast(to_json(series_id) as varchar))",
    ),
)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed_sum(con: duckdb.DuckDBPyConnection, expression: str) -> tuple[float, object]:
    start = cpu_seconds()
    row = con.execute(f"select sum({expression}) from triggers.triggered_sends").fetchone()
    return cpu_seconds() - start, row[0] if row else None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--rounds", type=int, default=3, choices=range(1, 100), metavar="N")
    args = parser.parse_args(argv)
    same = True
    with duckdb.connect(str(args.warehouse), read_only=True) as con:
        for measured, before, after in PAIRS:
            sums = []
            for side, expression in (("before", before), ("after", after)):
                rounds = [timed_sum(con, expression) for _ in range(args.rounds)]
                print(f"{measured}, {side}: CPU s " + ", ".join(f"{s:.2f}" for s, _ in rounds))
                sums.append(rounds[0][1])
            same = same and sums[0] == sums[1]
    if not same:
        print("the two sides of a pair differ", file=sys.stderr)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
