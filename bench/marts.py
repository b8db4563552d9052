"""Every mart, before and after a change: fingerprints, and a row-for-row comparison of two
builds of one generated store (issue 14: a faster model must give the same marts).

    python -m bench.marts fingerprint --warehouse X [--write FILE]
    python -m bench.marts compare-ref --ref <git ref> [--contacts N]

A mart is every relation built from models/marts/** (tables, and the segment definitions,
which are views), read from the manifest dbt wrote next to the warehouse (`<stem>_dbt/target/
manifest.json`, nudge.dbt_runner), or `--manifest`.

Values are compared in a canonical text form (`canonical`): DOUBLE and FLOAT rounded to
DOUBLE_DECIMALS decimals (summation order varies between runs and threads), -0.0 as 0.0,
timestamps as ISO text in UTC, everything else cast to text; NULL stays apart from any text.
No mart column is a DOUBLE today (amounts and rates are DECIMAL, exact), so the rounding is
a guard for one that becomes one.

`fingerprint`: per mart, the row count, one md5 over every row (rows in canonical text, sorted)
and per column its type, an md5 of its values in that row order (`md5`) and one of its
values sorted by themselves (`values_md5`), so a difference names the column: a changed
`values_md5` means the column holds other values; a changed `md5` alone, the same values
paired with other rows.

`compare-ref`: the cached generated store of bench/store.py (generated once per contacts,
seed, days and end) with a send history added (`cached_store_with_sends`, cached beside it;
`--no-sends` leaves it out), copied twice; one copy built (`dbt build` without tests, as of the
end) by the project at the git ref (a `git worktree` in a temp folder, removed afterwards),
the other by the working tree; then every mart compared row for row (EXCEPT ALL both ways,
the two warehouses attached in one DuckDB), with the columns whose values differ and a few
example rows. Exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from bench.store import cached_store, copy_store
from nudge.dbt_manifest import manifest_path
from nudge.dbt_runner import dbt_artifacts_dir
from nudge.paths import PROJECT_ROOT

FORMAT = 1
MARTS_PATH = "models/marts/"
DOUBLE_DECIMALS = 6
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")
# row text: the columns' values, each 'v' || text or 'n' for NULL, joined by the unit
# separator; column value lists joined by the record separator
COLUMN_SEPARATOR = "chr(31)"
ROW_SEPARATOR = "chr(30)"

# Columns left out of fingerprints and comparisons because their value depends on the wall
# clock of the run, not on the data and as_of: "schema.relation.column" -> why. None today:
# every mart computes "now" from the `as_of` var (macros/cross_db/as_of.sql; it falls back to
# the run's start only when as_of is unset, and every build here sets it), and the one
# wall-clock stamp a build writes, nudge_meta.model_builds.built_at (on-run-end,
# macros/activation/record_model_builds.sql), is not a mart.
WALL_CLOCK_COLUMNS: dict[str, str] = {}

DEFAULT_CACHE = PROJECT_ROOT / "warehouse" / "bench"
EXAMPLES = 3


# --- the marts ------------------------------------------------------------------------------


def mart_relations(manifest: Path) -> dict[str, str]:
    """schema.relation -> materialization of every model under models/marts (not ephemeral)."""
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"]
    marts = {}
    for node in nodes.values():
        if node.get("resource_type") != "model":
            continue
        if not str(node.get("original_file_path", "")).startswith(MARTS_PATH):
            continue
        materialized = str(node.get("config", {}).get("materialized", ""))
        if materialized == "ephemeral":
            continue
        marts[f"{node['schema']}.{node.get('alias') or node['name']}"] = materialized
    return dict(sorted(marts.items()))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _qualified(catalog: str, relation: str) -> str:
    schema, name = relation.split(".", 1)
    return f"{_quote(catalog)}.{_quote(schema)}.{_quote(name)}"


def columns(con: duckdb.DuckDBPyConnection, catalog: str, relation: str) -> list[tuple[str, str]]:
    """(name, type) of the relation's columns in order, less WALL_CLOCK_COLUMNS; empty when
    the relation does not exist."""
    schema, name = relation.split(".", 1)
    rows = con.execute(
        """
        select column_name, data_type from information_schema.columns
        where table_catalog = ? and table_schema = ? and table_name = ?
        order by ordinal_position
        """,
        [catalog, schema, name],
    ).fetchall()
    return [
        (str(column), str(kind))
        for column, kind in rows
        if f"{relation}.{column}" not in WALL_CLOCK_COLUMNS
    ]


def canonical(column: str, kind: str) -> str:
    """SQL for the column's value as canonical text (NULL stays NULL)."""
    quoted = _quote(column)
    if kind.upper() in FLOAT_TYPES:
        rounded = f"round({quoted}, {DOUBLE_DECIMALS})"
        # -0.0 (a rounded tiny negative) prints as '-0.0': the same value as 0.0
        return f"case when {rounded} = 0 then '0.0' else cast({rounded} as varchar) end"
    return f"cast({quoted} as varchar)"


def unrounded_float_columns(cols: list[tuple[str, str]]) -> list[str]:
    """Columns of a nested type holding floats (a DOUBLE[], a STRUCT with a DOUBLE field):
    their text is not rounded. None in the marts today; listed if one appears."""
    return [
        name
        for name, kind in cols
        if kind.upper() not in FLOAT_TYPES and any(t in kind.upper() for t in FLOAT_TYPES)
    ]


def canonical_select(catalog: str, relation: str, cols: list[tuple[str, str]]) -> str:
    select = ", ".join(f"{canonical(name, kind)} as {_quote(name)}" for name, kind in cols)
    return f"select {select} from {_qualified(catalog, relation)}"


# --- fingerprints ---------------------------------------------------------------------------


def fingerprint_relation(
    con: duckdb.DuckDBPyConnection, catalog: str, relation: str, materialized: str
) -> dict[str, Any]:
    cols = columns(con, catalog, relation)
    if not cols:
        return {"materialized": materialized, "missing": True}
    values = [f"coalesce('v' || {canonical(name, kind)}, 'n')" for name, kind in cols]
    aliases = [f"c{i}" for i in range(len(cols))]
    # the row text joins the columns in name order, so a reordering alone changes only the
    # column list, not the row hash
    by_name = [alias for _, alias in sorted(zip([n for n, _ in cols], aliases, strict=True))]
    row_text = f"concat_ws({COLUMN_SEPARATOR}, {', '.join(by_name)})"
    aggregates = [
        "count(*)",
        f"md5(coalesce(string_agg(row_text, {ROW_SEPARATOR} order by row_text), ''))",
    ]
    for alias in aliases:
        aggregates.append(
            f"md5(coalesce(string_agg({alias}, {ROW_SEPARATOR} order by row_text), ''))"
        )
        aggregates.append(
            f"md5(coalesce(string_agg({alias}, {ROW_SEPARATOR} order by {alias}), ''))"
        )
    rendered = ", ".join(f"{v} as {a}" for v, a in zip(values, aliases, strict=True))
    sql = (
        f"with rendered as (select {rendered} from {_qualified(catalog, relation)}), "
        f"texts as (select *, {row_text} as row_text from rendered) "
        f"select {', '.join(aggregates)} from texts"
    )
    result = con.execute(sql).fetchone()
    assert result is not None
    fingerprint: dict[str, Any] = {
        "materialized": materialized,
        "rows": int(result[0]),
        "md5": str(result[1]),
        "columns": {
            name: {
                "type": kind,
                "md5": str(result[2 + 2 * i]),
                "values_md5": str(result[3 + 2 * i]),
            }
            for i, (name, kind) in enumerate(cols)
        },
    }
    unrounded = unrounded_float_columns(cols)
    if unrounded:
        fingerprint["unrounded_float_columns"] = unrounded
    return fingerprint


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")  # TIMESTAMPTZ as text
    return con


@contextmanager
def attached(*warehouses: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with each warehouse attached read-only under its file stem (the
    catalog name dbt built it under, which its views name)."""
    stems = [w.stem for w in warehouses]
    if len(set(stems)) != len(stems):
        raise ValueError(f"warehouses need distinct file names: {stems}")
    con = _connect()
    try:
        for warehouse in warehouses:
            con.execute(f"attach '{warehouse}' as {_quote(warehouse.stem)} (read_only)")
        yield con
    finally:
        con.close()


def fingerprints(warehouse: Path, manifest: Path | None = None) -> dict[str, Any]:
    marts = mart_relations(manifest or manifest_path(warehouse, quiet=True))
    with attached(warehouse) as con:
        return {
            "format": FORMAT,
            "double_decimals": DOUBLE_DECIMALS,
            "wall_clock_columns": WALL_CLOCK_COLUMNS,
            "marts": {
                relation: fingerprint_relation(con, warehouse.stem, relation, materialized)
                for relation, materialized in marts.items()
            },
        }


def write_fingerprints(document: Mapping[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n", encoding="utf-8")


def fingerprint_differences(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
    """One line per mart whose fingerprint differs, naming the columns."""
    lines = []
    for key in ("format", "double_decimals", "wall_clock_columns"):
        if expected.get(key) != actual.get(key):
            lines.append(f"fingerprint {key}: expected {expected.get(key)}, got {actual.get(key)}")
    before, after = expected.get("marts", {}), actual.get("marts", {})
    for relation in sorted(set(before) | set(after)):
        if relation not in after:
            lines.append(f"{relation}: no longer a mart")
            continue
        if relation not in before:
            lines.append(f"{relation}: a new mart")
            continue
        problems = _mart_differences(before[relation], after[relation])
        if problems:
            lines.append(f"{relation}: " + "; ".join(problems))
    return lines


def _mart_differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    if old.get("missing") or new.get("missing"):
        if old.get("missing") != new.get("missing"):
            return ["not built" if new.get("missing") else "built now, was not"]
        return []
    # a view becoming a table (or back) is a speed decision, not a different result
    problems = []
    if old["rows"] != new["rows"]:
        problems.append(f"rows {old['rows']:,} -> {new['rows']:,}")
    old_cols, new_cols = old["columns"], new["columns"]
    removed = [c for c in old_cols if c not in new_cols]
    added = [c for c in new_cols if c not in old_cols]
    if removed:
        problems.append("columns removed: " + ", ".join(removed))
    if added:
        problems.append("columns added: " + ", ".join(added))
    common = [c for c in old_cols if c in new_cols]
    if not removed and not added and list(old_cols) != list(new_cols):
        problems.append("column order " + ", ".join(new_cols))
    retyped = [
        f"{c} {old_cols[c]['type']} -> {new_cols[c]['type']}"
        for c in common
        if old_cols[c]["type"] != new_cols[c]["type"]
    ]
    if retyped:
        problems.append("types: " + ", ".join(retyped))
    values = [c for c in common if old_cols[c]["values_md5"] != new_cols[c]["values_md5"]]
    if values:
        problems.append("values differ in " + ", ".join(values))
    paired = [c for c in common if c not in values and old_cols[c]["md5"] != new_cols[c]["md5"]]
    if paired:
        problems.append("same values in other rows in " + ", ".join(paired))
    if not problems and old["md5"] != new["md5"]:
        problems.append("rows differ")
    return problems


# --- compare two builds of one store --------------------------------------------------------


@dataclass
class MartComparison:
    relation: str
    base_rows: int | None
    work_rows: int | None
    only_in_base: int = 0
    only_in_work: int = 0
    schema: list[str] = field(default_factory=list)
    columns: dict[str, tuple[int, int]] = field(default_factory=dict)
    examples: list[tuple[str, dict[str, object]]] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return (
            self.base_rows == self.work_rows
            and not self.only_in_base
            and not self.only_in_work
            and not self.schema
        )


def compare_relation(
    con: duckdb.DuckDBPyConnection, base: str, work: str, relation: str
) -> MartComparison:
    """Row for row on the canonical text of the columns both sides hold (multisets: EXCEPT
    ALL both ways); per column, how many values only either side holds."""
    base_cols, work_cols = columns(con, base, relation), columns(con, work, relation)

    def count(sql: str) -> int:
        row = con.execute(f"select count(*) from ({sql})").fetchone()
        return int(row[0]) if row else 0

    result = MartComparison(
        relation,
        count(f"select 1 from {_qualified(base, relation)}") if base_cols else None,
        count(f"select 1 from {_qualified(work, relation)}") if work_cols else None,
    )
    if not base_cols or not work_cols:
        result.schema.append("missing in " + ("the ref" if not base_cols else "the working tree"))
        return result
    base_types, work_types = dict(base_cols), dict(work_cols)
    for name in base_types.keys() - work_types.keys():
        result.schema.append(f"{name} only at the ref")
    for name in work_types.keys() - base_types.keys():
        result.schema.append(f"{name} only in the working tree")
    common = [(name, kind) for name, kind in base_cols if name in work_types]
    for name, kind in common:
        if work_types[name] != kind:
            result.schema.append(f"{name} {kind} -> {work_types[name]}")
    # rendered with each side's own types (a DECIMAL(18,2) and a DOUBLE differ in text)
    left = canonical_select(base, relation, [(n, base_types[n]) for n, _ in common])
    right = canonical_select(work, relation, [(n, work_types[n]) for n, _ in common])
    result.only_in_base = count(f"{left} except all {right}")
    result.only_in_work = count(f"{right} except all {left}")
    if result.only_in_base or result.only_in_work:
        for name, _ in common:
            one_left = canonical_select(base, relation, [(name, base_types[name])])
            one_right = canonical_select(work, relation, [(name, work_types[name])])
            differing = (
                count(f"{one_left} except all {one_right}"),
                count(f"{one_right} except all {one_left}"),
            )
            if any(differing):
                result.columns[name] = differing
        names = [name for name, _ in common]
        for side, first, second in (("ref", left, right), ("working tree", right, left)):
            rows = con.execute(
                f"select * from ({first} except all {second}) order by all limit {EXAMPLES}"
            ).fetchall()
            result.examples += [
                (side, dict(zip(names, map(_shown, row), strict=True))) for row in rows
            ]
    return result


def _shown(value: object, limit: int = 120) -> object:
    """A value for an example row: long text (a trigger's JSON payload) cut short."""
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + f"... ({len(value):,} chars)"
    return value


def compare_warehouses(base: Path, work: Path, relations: list[str]) -> list[MartComparison]:
    with attached(base, work) as con:
        return [compare_relation(con, base.stem, work.stem, r) for r in relations]


def report(comparisons: list[MartComparison]) -> str:
    lines = []
    width = max((len(c.relation) for c in comparisons), default=10)
    for c in comparisons:
        rows = " ".join(f"{'-' if n is None else n:>8}" for n in (c.base_rows, c.work_rows))
        if c.equal:
            lines.append(f"{c.relation:<{width}} {rows}  equal")
            continue
        lines.append(
            f"{c.relation:<{width}} {rows}  DIFFERENT: {c.only_in_base:,} rows only at the ref,"
            f" {c.only_in_work:,} only in the working tree"
        )
        for problem in c.schema:
            lines.append(f"    schema: {problem}")
        for name, (only_base, only_work) in c.columns.items():
            lines.append(
                f"    column {name}: {only_base:,} values only at the ref, {only_work:,} only"
                " in the working tree"
            )
        for side, row in c.examples:
            lines.append(f"    e.g. only in the {side}: {row}")
    return "\n".join(lines)


@contextmanager
def worktree(ref: str, parent: Path) -> Iterator[Path]:
    """The project at `ref`, checked out in a temporary git worktree (removed afterwards)."""
    path = parent / "ref_tree"
    subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), "worktree", "add", "--detach", str(path), ref],
        check=True,
        capture_output=True,
        text=True,
    )
    try:
        yield path
    finally:
        subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "worktree", "remove", "--force", str(path)],
            check=False,
            capture_output=True,
        )
        subprocess.run(["git", "-C", str(PROJECT_ROOT), "worktree", "prune"], check=False)


def _dbt_executable() -> str:
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else shutil.which("dbt") or "dbt"


def build_with_project(project: Path, warehouse: Path, as_of: datetime) -> float:
    """`dbt build` without tests (seeds and models) of the project at `project` on
    `warehouse`, in its own process (dbt's CLI: nothing of the project's Python is
    imported); the wall seconds."""
    artifacts = dbt_artifacts_dir(warehouse)
    command = [
        _dbt_executable(),
        "build",
        "--exclude-resource-type",
        "test",
        "unit_test",
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(artifacts / "target"),
        "--log-path",
        str(artifacts / "logs"),
        "--vars",
        json.dumps({"as_of": as_of.isoformat(sep=" ")}),
        "--quiet",
    ]
    env = {**os.environ, "NUDGE_WAREHOUSE": str(warehouse), "NUDGE_DBT_TARGET": "duckdb"}
    started = time.perf_counter()
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"dbt build failed for {project} (exit {done.returncode}); log in "
            f"{artifacts / 'logs'}:\n{(done.stdout + done.stderr)[-4000:]}"
        )
    return seconds


def cached_store_with_sends(store: Path, end: datetime) -> Path:
    """The store with a send history (tests/fixtures/send_history.py: ledger rows and ESP
    feedback for the sends that expired in the 60 days before `end`), so the performance
    marts have sends to measure; made once next to the store and cached. It is input data,
    the same for both builds: which code chose the sends (the working tree's
    triggered_sends when it was made) does not matter."""
    from tests.fixtures.send_history import write_send_history

    path = store.with_name(f"{store.stem}-sends.duckdb")
    if not path.exists():
        partial = store.with_name(f"{store.stem}-sends.partial.duckdb")
        copy_store(store, partial)
        print(f"adding a send history: {path}", flush=True)
        history = write_send_history(partial, end)
        print(f"  {len(history.sends):,} sends, {sum(history.events.values()):,} events")
        partial.rename(path)
        copy = partial.parent / "send_history" / partial.name  # write_send_history's copy
        shutil.rmtree(dbt_artifacts_dir(copy), ignore_errors=True)
        shutil.rmtree(copy.parent, ignore_errors=True)
    return path


def compare_ref(
    ref: str,
    contacts: int,
    seed: int,
    days: int,
    end: datetime,
    cache: Path,
    keep: bool,
    sends: bool = True,
) -> bool:
    store, rows = cached_store(cache, contacts, seed, days, end)
    print(f"store {store}: {rows['events']:,} events, {rows['identifies']:,} identifies")
    if sends:
        store = cached_store_with_sends(store, end)
    work_dir = Path(tempfile.mkdtemp(prefix="nudge-marts-"))
    try:
        base, work = work_dir / "base.duckdb", work_dir / "work.duckdb"
        with worktree(ref, work_dir) as tree:
            commit = subprocess.run(
                ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            copy_store(store, base)
            print(f"building at {ref} ({commit}) ...", flush=True)
            base_s = build_with_project(tree, base, end)
            print(f"  {base_s:.1f} s", flush=True)
            base_marts = mart_relations(dbt_artifacts_dir(base) / "target" / "manifest.json")
        copy_store(store, work)
        print(f"building the working tree {PROJECT_ROOT} ...", flush=True)
        work_s = build_with_project(PROJECT_ROOT, work, end)
        print(f"  {work_s:.1f} s", flush=True)
        work_marts = mart_relations(dbt_artifacts_dir(work) / "target" / "manifest.json")
        relations = sorted(set(base_marts) | set(work_marts))
        started = time.perf_counter()
        comparisons = compare_warehouses(base, work, relations)
        print(f"compared {len(relations)} marts in {time.perf_counter() - started:.1f} s")
        print(f"{'mart':<{max(map(len, relations))}} {'ref':>8} {'work':>8}")
        print(report(comparisons))
        different = [c.relation for c in comparisons if not c.equal]
        print(
            f"\n{len(relations) - len(different)} of {len(relations)} marts equal"
            + (f"; DIFFERENT: {', '.join(different)}" if different else "")
            + f" ({contacts:,} contacts, as of {end:%Y-%m-%d %H:%M}; dbt build without tests:"
            f" {base_s:.1f} s at {ref}, {work_s:.1f} s in the working tree)"
        )
        return not different
    finally:
        if keep:
            print(f"kept {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    fp = commands.add_parser("fingerprint", help="fingerprint every mart of a built warehouse")
    fp.add_argument("--warehouse", type=Path, required=True)
    fp.add_argument("--manifest", type=Path, help="default: <warehouse stem>_dbt/target/")
    fp.add_argument("--write", type=Path, help="write the fingerprints (JSON) to this file")
    fp.add_argument("--compare", type=Path, help="compare with a fingerprint file; exit 1")
    cr = commands.add_parser("compare-ref", help="marts at a git ref vs the working tree")
    cr.add_argument("--ref", required=True, help="git ref to compare with, e.g. HEAD")
    cr.add_argument("--contacts", type=int, default=2_000)
    cr.add_argument("--seed", type=int, default=42)
    cr.add_argument("--days", type=int, default=365)
    cr.add_argument("--end", default="2026-11-01", help="ISO date or instant (UTC): as_of")
    cr.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="generated stores")
    cr.add_argument("--keep", action="store_true", help="keep the two built warehouses")
    cr.add_argument(
        "--no-sends",
        dest="sends",
        action="store_false",
        help="without the send history (the performance marts then have nothing to measure)",
    )
    args = parser.parse_args(argv)

    if args.command == "fingerprint":
        document = fingerprints(args.warehouse.resolve(), args.manifest)
        if args.write:
            write_fingerprints(document, args.write)
            print(f"wrote {len(document['marts'])} marts' fingerprints to {args.write}")
        if args.compare:
            expected = json.loads(args.compare.read_text(encoding="utf-8"))
            lines = fingerprint_differences(expected, document)
            print("\n".join(lines) or f"every mart as in {args.compare}")
            if lines:
                sys.exit(1)
        if not args.write and not args.compare:
            print(json.dumps(document, indent=1))
    else:
        end = datetime.fromisoformat(args.end)
        started = time.perf_counter()
        equal = compare_ref(
            args.ref, args.contacts, args.seed, args.days, end, args.cache, args.keep, args.sends
        )
        print(f"total {time.perf_counter() - started:.1f} s")
        if not equal:
            sys.exit(1)


if __name__ == "__main__":
    main()
