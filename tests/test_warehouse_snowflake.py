"""What the Snowflake engine adds to the shared state-layer tests (test_warehouse_state.py):
the connection arguments it derives from the dbt profile's snowflake output, the MERGE its
upsert runs, and DDL refused inside a transaction. Snowflake itself is emulated in process
by fakesnow, which records the arguments snowflake.connector.connect was called with."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from unittest import mock

import duckdb
import fakesnow
import pytest
import snowflake.connector

from activation.warehouse import Table, open_warehouse, warehouse_target
from activation.warehouse.snowflake_engine import (
    DdlInTransactionError,
    SnowflakeWarehouse,
    merge_sql,
)
from activation.warehouse.tables import text, timestamp

PROFILE_ENV = {
    "NUDGE_DBT_TARGET": "snowflake",
    "SNOWFLAKE_ACCOUNT": "acme_eu",
    "SNOWFLAKE_USER": "activation",
    "SNOWFLAKE_PASSWORD": "s3cret-value",
    "SNOWFLAKE_DATABASE": "MARKETING",
    "SNOWFLAKE_ROLE": "NUDGE_ROLE",
}
EVENTS = Table(
    "activation",
    "events_seen",
    (text("event_id", nullable=False), timestamp("seen_at")),
    primary_key=("event_id",),
)


@pytest.fixture
def fake_snowflake() -> Iterator[None]:
    with fakesnow.patch():
        yield


def test_open_warehouse_connects_where_the_profile_says(fake_snowflake: None) -> None:
    target = warehouse_target(env=PROFILE_ENV)
    assert (target.name, target.engine) == ("snowflake", "snowflake")
    with open_warehouse(target=target) as opened:
        assert isinstance(opened, SnowflakeWarehouse)
        # dbt-snowflake's rule: underscores in the account become hyphens
        assert opened.location == "snowflake://activation@acme-eu/MARKETING/public"
        assert "s3cret-value" not in repr(opened) + opened.location + repr(target)
        assert opened.fetchall("select ? || ?", ["a", "b"]) == [("ab",)]
    connect = snowflake.connector.connect
    assert isinstance(connect, mock.MagicMock)
    arguments = connect.call_args.kwargs
    assert {name: arguments[name] for name in ("account", "user", "password", "role")} == {
        "account": "acme-eu",
        "user": "activation",
        "password": "s3cret-value",
        "role": "NUDGE_ROLE",
    }
    assert (arguments["warehouse"], arguments["database"], arguments["schema"]) == (
        "TRANSFORMING",
        "MARKETING",
        "public",
    )
    assert (arguments["paramstyle"], arguments["autocommit"]) == ("qmark", True)
    assert arguments["session_parameters"]["QUOTED_IDENTIFIERS_IGNORE_CASE"] is True
    assert arguments["session_parameters"]["TIMEZONE"] == "UTC"
    # the profile's empty key-pair settings are not passed on as a key
    assert arguments["private_key"] is None
    # the connector's process-wide default is left alone
    assert snowflake.connector.paramstyle == "pyformat"


@pytest.mark.parametrize("keep_existing", [False, True])
def test_merge_inserts_new_keys_and_replaces_or_keeps_the_others(keep_existing: bool) -> None:
    """The MERGE upsert_rows sends, run by DuckDB's MERGE with the same bound values (fakesnow
    cannot bind values into a MERGE; this is the statement's logic, not Snowflake's parser)."""
    connection = duckdb.connect()
    connection.execute("create table t (k varchar, n integer, label varchar, primary key (k, n))")
    connection.execute("insert into t values ('a', 1, 'old'), ('b', 1, 'kept')")
    sql = merge_sql("t", ("k", "n", "label"), ("k", "n"), 2, keep_existing=keep_existing)
    connection.execute(sql, ["a", 1, "new", "a", 2, "added"])
    expected_a1 = "old" if keep_existing else "new"
    assert connection.execute("select * from t order by k, n").fetchall() == [
        ("a", 1, expected_a1),
        ("a", 2, "added"),
        ("b", 1, "kept"),
    ]


def test_state_tables_are_created_before_a_transaction(fake_snowflake: None) -> None:
    with open_warehouse(target=warehouse_target(env=PROFILE_ENV)) as opened:
        with (
            pytest.raises(DdlInTransactionError, match=r"activation\.events_seen"),
            opened.transaction(),
        ):
            opened.ensure_table(EVENTS)
        assert opened.columns("activation", "events_seen") is None
        opened.ensure_table(EVENTS)
        assert opened.columns("ACTIVATION", "events_seen") == ["event_id", "seen_at"]
        with opened.transaction():
            opened.ensure_table(EVENTS)  # nothing to create or add: allowed
            opened.insert_rows(
                "activation.events_seen", ("event_id", "seen_at"), [("e1", datetime(2026, 3, 1))]
            )
        assert opened.fetchall("select event_id, seen_at from activation.events_seen") == [
            ("e1", datetime(2026, 3, 1))
        ]
