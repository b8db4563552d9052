"""The whole project compiles to SQL that Snowflake and BigQuery accept (issue 15, item 3).

Every node (models, data and unit tests) is compiled offline with the real dbt-snowflake and
dbt-bigquery adapters (tests/fixtures/offline_compile.py) twice: as a first build (nothing
in the warehouse) and as a later run (every relation built, incremental models with a
watermark, so their incremental branch and the introspecting unions render too). Each
compiled file must then

- parse with sqlglot in that dialect;
- call only functions the engine documents, within its argument limits, and cast only to
  its types (tests/fixtures/dialect_allowlists.py, with the references used);
- contain none of the shapes the engine rejects (AT TIME ZONE, BOTH … FROM, a bare UNION
  on BigQuery, …).

A default macro rendering something the engine lacks therefore fails here until it has a
snowflake__ / bigquery__ override (macros/cross_db/*_snowflake_bigquery.sql).
"""

from __future__ import annotations

import itertools
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot.tokens import Token, TokenType

from tests.fixtures.dialect_allowlists import (
    CAST_TYPES,
    FUNCTIONS,
    SHAPES,
    SYNTAX_WORDS,
)
from tests.fixtures.offline_compile import Warehouse, compile_offline

AS_OF = datetime(2026, 6, 1, 12, 0, 0)
DIALECTS = ("snowflake", "bigquery")
CAST_WORDS = frozenset({"cast", "try_cast", "safe_cast"})


def compile_both_runs(dialect: str, work_dir: Path) -> dict[str, str]:
    """Compiled SQL of a first build and of a later run, keyed by run and path."""
    first = compile_offline(dialect, work_dir, Warehouse(built=False), AS_OF.isoformat())
    columns = {}
    for path, sql in first.items():
        if path.startswith("nudge/models/") and "/" in path:
            try:
                parsed = sqlglot.parse_one(sql, read=dialect)
            except sqlglot.errors.SqlglotError:
                continue  # reported by the parse test
            columns[Path(path).stem.lower()] = selected_columns(parsed)
    later = compile_offline(
        dialect,
        work_dir,
        Warehouse(built=True, columns=columns, watermark=AS_OF - timedelta(hours=6)),
        AS_OF.isoformat(),
    )
    compiled = {f"first build: {path}": sql for path, sql in first.items()}
    compiled.update(
        {f"later run: {path}": sql for path, sql in later.items() if first.get(path) != sql}
    )
    return compiled


def selected_columns(query: Any) -> list[str]:
    """The names a query selects; `select * from <cte>` (an incremental model's first build,
    nudge.replace_keys) names what that CTE selects."""
    names = [name.lower() for name in query.named_selects]
    source = query.args.get("from_") or query.args.get("from")
    if names == ["*"] and source is not None and isinstance(source.this, sqlglot.exp.Table):
        for cte in query.ctes:
            if cte.alias_or_name.lower() == source.this.name.lower():
                return selected_columns(cte.this)
    return names


@pytest.fixture(scope="module", params=DIALECTS)
def compiled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, dict[str, str]]:
    dialect: str = request.param
    return dialect, compile_both_runs(dialect, tmp_path_factory.mktemp(dialect))


def code_tokens(sql: str, dialect: str) -> list[Token]:
    """The tokens of `sql` (comments are dropped by the tokenizer)."""
    return list(sqlglot.Dialect.get_or_raise(dialect).tokenize(sql))


def arity(tokens: list[Token], open_index: int) -> tuple[int, int]:
    """Arguments of the call whose `(` is at open_index, and the index of its `)`."""
    depth, commas, empty = 0, 0, True
    for index in range(open_index, len(tokens)):
        kind = tokens[index].token_type
        if kind == TokenType.L_PAREN:
            depth += 1
        elif kind == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                return (0 if empty else commas + 1), index
        elif depth == 1 and kind == TokenType.COMMA:
            commas += 1
        if index > open_index:
            empty = False
    return commas + 1, len(tokens) - 1


def cast_type(tokens: list[Token], open_index: int, close_index: int) -> str:
    """The target type of the cast whose `(` is at open_index, lower case, no parameters."""
    depth = 0
    for index in range(open_index, close_index):
        kind = tokens[index].token_type
        depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(kind, 0)
        if depth == 1 and kind == TokenType.ALIAS:
            words = []
            for token in tokens[index + 1 : close_index]:
                if token.token_type == TokenType.L_PAREN:
                    break
                words.append(token.text.lower())
            return " ".join(words)
    return ""


def problems_in(sql: str, dialect: str) -> list[str]:
    """Everything in one compiled file that `dialect` lacks."""
    found = []
    try:
        sqlglot.parse(sql, read=dialect)
    except sqlglot.errors.SqlglotError as error:
        found.append(f"does not parse as {dialect}: {str(error)[:300]}")
    try:
        tokens = code_tokens(sql, dialect)
    except sqlglot.errors.TokenError:
        return found  # an unterminated literal, reported by the parse
    functions = FUNCTIONS[dialect]
    for index, (token, following) in enumerate(itertools.pairwise(tokens)):
        if following.token_type != TokenType.L_PAREN or token.token_type in (
            TokenType.STRING,
            TokenType.IDENTIFIER,
            TokenType.NUMBER,
        ):
            continue
        name = token.text.lower()
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name) or name in SYNTAX_WORDS:
            continue
        qualified = index > 1 and tokens[index - 1].token_type == TokenType.DOT
        if qualified and tokens[index - 2].text.lower() != "safe":
            continue  # a qualified name (a UDF such as nudge.nudge_try_date), not a built-in
        count, close = arity(tokens, index + 1)
        if name in functions:
            limit = functions[name]
            if limit is not None and count > limit:
                found.append(f"{name}() with {count} arguments ({dialect} takes {limit})")
            if name in CAST_WORDS:
                target = cast_type(tokens, index + 1, close)
                if target not in CAST_TYPES[dialect]:
                    found.append(f"cast to {target!r}, not a {dialect} type")
        elif name not in CAST_TYPES[dialect]:
            found.append(f"{name}(): not a {dialect} function")
    text = " ".join(token.text.lower() for token in tokens if token.token_type != TokenType.STRING)
    for pattern, why in SHAPES[dialect]:
        if re.search(pattern, text):
            found.append(f"/{pattern}/: {why}")
    return found


def test_every_node_compiles_to_sql_the_engine_has(compiled: tuple[str, dict[str, str]]) -> None:
    dialect, files = compiled
    models = [path for path in files if "/models/" in path and "first build" in path]
    assert len(models) > 300, f"only {len(models)} model and test files compiled"
    assert any(path.startswith("later run:") for path in files), "no incremental branch"
    failures = {}
    for path, sql in files.items():
        problems = problems_in(sql, dialect)
        if problems:
            failures[path] = sorted(set(problems))
    report = "\n".join(f"{path}: {'; '.join(found)}" for path, found in sorted(failures.items()))
    assert not failures, f"{len(failures)} files {dialect} would reject:\n{report}"


@pytest.mark.parametrize(
    ("dialect", "sql", "expected"),
    [
        ("snowflake", "select json_extract_path_text(p, 'a', 'b') from t", "3 arguments"),
        ("snowflake", "select (ts at time zone 'UTC') from t", "at time zone"),
        ("snowflake", "select string_agg(x, ',' order by x) from t", "string_agg()"),
        ("snowflake", "select json_object('a', 1)", "json_object()"),
        ("bigquery", "select to_char(ts, 'YYYY') from t", "to_char()"),
        ("bigquery", "select a from t union select a from u", "ALL"),
        ("bigquery", "select cast(a as varchar) from t", "'varchar'"),
        ("bigquery", "select trim(both ' ' from a) from t", "BOTH"),
        ("bigquery", "select extract(isodow from ts) from t", "isodow"),
    ],
)
def test_the_checks_reject_what_the_engine_lacks(dialect: str, sql: str, expected: str) -> None:
    assert any(expected in problem for problem in problems_in(sql, dialect))


def test_the_checks_accept_what_the_engine_has() -> None:
    assert problems_in("select json_extract_path_text(p, 'a.b') from t", "snowflake") == []
    assert problems_in("select a from t union distinct select a from u", "bigquery") == []
    assert problems_in("select safe.parse_json(p) from t", "bigquery") == []
