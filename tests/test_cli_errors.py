"""Errors a user sees: each known failure of a `nudge` command ends in one line on what to
do, an exit code other than 0 and no traceback (`nudge --debug` keeps it): a build with no
raw data (leaving no file behind), a malformed instant, a write or a syntax error in
`nudge query`, a warehouse another process holds, an unknown `--trigger`, a failing dbt
build (its nodes and its log named). nudge/errors.py is the one place mapping them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner, Result

from activation.destinations.klaviyo.sandbox import SandboxHandle
from nudge import build_command
from nudge.cli import app
from nudge.dbt_runner import DbtCommandError, run_dbt
from nudge.errors import describe
from nudge.query_command import QueryFailed
from nudge.raw_contract import create_table_sql
from tests.fixtures.held_warehouse import held_by_another_process
from tests.sends_helpers import cli_sandbox, make_warehouse, profile_row, send_row

CATALOG_KEYS = ("cart_abandonment", "welcome", "winback")  # some of seeds/trigger_catalog.csv


def nudge(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def one_line(result: Result) -> str:
    """The only line a refused command printed; it ended with an exit code, not an
    exception (a traceback)."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def raw_warehouse(path: Path) -> Path:
    """A warehouse holding the raw tables, one event in raw.events."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        for table in ("events", "identifies", "product_catalog"):
            con.execute(create_table_sql(table))
        con.execute("insert into raw.events (message_id, event) values ('m-1', 'Signed Up')")
    return path


def no_dbt(*args: object, **kwargs: object) -> None:
    raise AssertionError("dbt must not run")


def test_a_build_without_a_warehouse_says_so_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build_command, "run_dbt", no_dbt)
    folder = tmp_path / "nowhere"
    line = one_line(nudge("build", "--warehouse", str(folder / "nudge.duckdb")))
    assert line.startswith(f"No warehouse at {folder / 'nudge.duckdb'}: ")
    assert "nudge generate" in line and "docs/contracts/raw_events.md" in line
    assert not folder.exists()  # no empty warehouse, no dbt folder beside it


def test_a_build_without_raw_tables_names_the_missing_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build_command, "run_dbt", no_dbt)
    path = tmp_path / "nudge.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        con.execute(create_table_sql("events"))
    before = path.read_bytes()
    line = one_line(nudge("build", "--warehouse", str(path)))
    assert line.startswith(f"No raw data in {path}: raw.identifies, raw.product_catalog missing")
    assert "nudge generate" in line
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("command", "option"), [("build", "--as-of"), ("generate", "--end")], ids=["as-of", "end"]
)
@pytest.mark.parametrize("text", ["2026-13-45", "yesterday", "2026-11-01T25:00"])
def test_a_malformed_instant_is_refused_in_one_line(
    tmp_path: Path, command: str, option: str, text: str
) -> None:
    path = tmp_path / "nudge.duckdb"
    line = one_line(nudge(command, option, text, "--warehouse", str(path)))
    assert line == (
        f"{option}: {text!r} is not an instant: use 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS' (UTC)"
    )
    assert not path.exists()


@pytest.mark.parametrize(
    "statement",
    [
        "insert into raw.events (message_id) values ('m-2')",
        "update raw.events set event = 'Order Completed'",
        "delete from raw.events",
        "drop table raw.events",
        "create table raw.more (x integer)",
    ],
)
def test_query_refuses_a_write(tmp_path: Path, statement: str) -> None:
    path = raw_warehouse(tmp_path / "nudge.duckdb")
    line = one_line(nudge("query", statement, "--warehouse", str(path)))
    assert line.startswith("nudge query only reads the warehouse: ")
    assert "read-only mode" in line and "nudge build" in line
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("select message_id, event from raw.events").fetchall() == [
            ("m-1", "Signed Up")
        ]


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (
            "selec * from raw.events",
            'The query failed: Parser Error: syntax error at or near "selec"',
        ),
        ("select * from raw.nowhere", "The query failed: Catalog Error: Table with name nowhere"),
        ("select nothing from raw.events", "The query failed: Binder Error: "),
    ],
)
def test_query_names_a_bad_statement(tmp_path: Path, statement: str, expected: str) -> None:
    path = raw_warehouse(tmp_path / "nudge.duckdb")
    assert one_line(nudge("query", statement, "--warehouse", str(path))).startswith(expected)


def test_query_without_a_warehouse(tmp_path: Path) -> None:
    path = tmp_path / "nudge.duckdb"
    line = one_line(nudge("query", "select 1", "--warehouse", str(path)))
    assert line.startswith(f"No warehouse at {path}: ") and not path.exists()


def test_debug_keeps_the_traceback(tmp_path: Path) -> None:
    path = raw_warehouse(tmp_path / "nudge.duckdb")
    plain = nudge("query", "selec 1", "--warehouse", str(path))
    debug = nudge("--debug", "query", "selec 1", "--warehouse", str(path))
    assert plain.exit_code == 2 and isinstance(plain.exception, SystemExit)
    assert debug.exit_code == 1 and isinstance(debug.exception, QueryFailed)
    assert isinstance(debug.exception.__cause__, duckdb.ParserException)


@pytest.fixture
def held(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A warehouse another process holds a write connection to: (path, its PID)."""
    path = raw_warehouse(tmp_path / "held" / "nudge.duckdb")
    with held_by_another_process(path) as pid:
        yield path, pid


@pytest.mark.parametrize(
    "args",
    [
        ["query", "select count(*) from raw.events"],
        ["build"],
        ["generate", "--contacts", "5", "--days", "3"],
        ["sync", "triggered_sends", "--dry-run"],
        ["export", "--email", "someone@example.com"],
    ],
    ids=["query", "build", "generate", "sync", "export"],
)
def test_a_warehouse_held_by_another_process_is_named(
    held: tuple[Path, int], args: list[str]
) -> None:
    path, pid = held
    line = one_line(nudge(*args, "--warehouse", str(path)))
    assert line.startswith(f"{path} is locked by another process (python")
    assert f"PID {pid})" in line and "Retry when it has finished" in line


def test_a_dbt_run_that_meets_the_lock_is_named_too(held: tuple[Path, int]) -> None:
    path, pid = held
    with pytest.raises(DbtCommandError) as raised:
        run_dbt(["build", "--select", "stg_events"], path, quiet=True)
    known = describe(raised.value)
    assert known is not None
    message, code, _ = known
    assert code == 2 and message.startswith(f"{path} is locked by another process")
    assert f"PID {pid})" in message


def test_an_unknown_trigger_names_the_catalog_keys(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_warehouse(warehouse, [send_row("c-00")], [profile_row("c-00")])
    monkeypatch.setenv("KLAVIYO_API_KEY", "pk_unused")
    monkeypatch.setenv("KLAVIYO_BASE_URL", "http://127.0.0.1:9")  # never reached
    line = one_line(nudge("sync", "--trigger", "cart_abandon", "--warehouse", str(warehouse)))
    assert line.startswith("--trigger 'cart_abandon' is not in the trigger catalog; known keys: ")
    assert all(key in line for key in CATALOG_KEYS)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        ledger = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'activation'"
        ).fetchall()
    assert ledger == [(0,)]  # nothing read back, planned or sent


def test_the_trigger_keys_are_those_the_warehouse_was_built_with(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_warehouse(warehouse, [send_row("c-00")], [profile_row("c-00")])
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema reference")
        con.execute("create table reference.trigger_catalog (trigger_key varchar)")
        con.execute("insert into reference.trigger_catalog values ('cart_abandonment')")
    line = one_line(nudge("sync", "--trigger", "welcome", "--warehouse", str(warehouse)))
    assert line.endswith("known keys: cart_abandonment (seeds/trigger_catalog.csv).")
    sandbox: SandboxHandle
    with cli_sandbox(monkeypatch) as sandbox:
        result = nudge(
            "sync", "--trigger", "cart_abandonment", "--dry-run", "--warehouse", str(warehouse)
        )
        assert result.exit_code == 0, result.output
        assert "would send" in result.output and sandbox.requests() == []


@pytest.mark.slow
def test_a_failing_dbt_build_names_its_nodes_and_its_log(tmp_path: Path) -> None:
    path = tmp_path / "nudge.duckdb"
    generated = nudge("generate", "--contacts", "30", "--days", "20", "--warehouse", str(path))
    assert generated.exit_code == 0, generated.output
    with duckdb.connect(str(path)) as con:  # the collector dropped a contract column
        con.execute("alter table raw.product_catalog drop column replenishment_days")
    result = nudge("build", "--warehouse", str(path))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    summaries = [line for line in result.output.splitlines() if line.startswith("dbt build failed")]
    assert len(summaries) == 1, result.output
    log = tmp_path / "nudge_dbt" / "logs" / "dbt.log"
    assert summaries[0].startswith("dbt build failed at ")
    # every unit test reading raw.product_catalog fails; which of the model's runs first
    # (the others are then skipped) is dbt's choice
    assert re.search(r"unit_test stg_product_catalog__checked_\w+ \(error\)", summaries[0])
    assert summaries[0].endswith(f"downstream skipped; details in {log}")
    assert "replenishment_days" in log.read_text(encoding="utf-8")
    # above that line (nudge/build_output.py): dbt's log, kept back while the build ran, each
    # failing node's error under its name, and the build's summary
    assert "Running with dbt=" in result.output and "[31mERROR" not in result.output
    assert re.search(r"╭─ unit_test stg_product_catalog__checked_\w+", result.output)
    assert "Binder Error" in result.output
    assert re.search(r"dbt build: [\d,]+ nodes in ", result.output)
