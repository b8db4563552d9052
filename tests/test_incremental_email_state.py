"""int_email_engagement_summarized and int_unengaged_periods_projected are incremental per
contact, and time alone changes what they show: a contact becomes unengaged 90 days after
its last open, its sunset grace ends, an email leaves the 90-day counts, all without a new
event. Built by hand: three contacts for whom one of those happens between two runs a day
apart, and a fourth whose email lands in between. After the second run both models (and
the periods the sunset trigger reads) equal a build of everything at once, and the three
were recomputed with nothing new about them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from nudge.dbt_runner import run_dbt
from tests.engines.results import differences, read_duckdb
from tests.raw_rows import land

pytestmark = pytest.mark.slow

FIRST_AS_OF = datetime(2026, 10, 31)
SECOND_AS_OF = FIRST_AS_OF + timedelta(days=1)
SUMMARY = "intermediate.int_email_engagement_summarized"
PROJECTED = "intermediate.int_unengaged_periods_projected"
PERIODS = "intermediate.int_unengaged_periods_detected"
SELECTED = ["+int_email_engagement_summarized", "+int_unengaged_periods_detected"]
LONG_AGO = FIRST_AS_OF - timedelta(days=200)


def event(
    message_id: str, name: str, user: str, at: datetime, landed: datetime | None = None
) -> tuple[Any, ...]:
    channel = "web" if name == "Subscribed" else "email"
    properties = {"channel": "email"} if name == "Subscribed" else {"email_id": message_id}
    return (
        message_id,
        name,
        user,
        f"{user}-phone",
        at,
        landed or at,
        json.dumps(properties),
        json.dumps({"channel": channel}),
    )


def deliveries(user: str, last: datetime) -> list[tuple[Any, ...]]:
    """Five emails delivered a day apart, the last at `last`."""
    return [
        event(f"{user}-d{n}", "Email Delivered", user, last - timedelta(days=4 - n))
        for n in range(5)
    ]


# ann opened 89.5 days before the first run, then ignored five emails: unengaged 90 days
# after the open, half a day after the first run
ANN_OPENED = FIRST_AS_OF - timedelta(days=89, hours=12)
# bob never opened; his fifth email came 13.5 days before the first run: unengaged then,
# sunset (14 days of grace) half a day after the first run
BOB_FIFTH = FIRST_AS_OF - timedelta(days=13, hours=12)
# cara's one email was delivered 89.5 days before the first run: counted then, not a day later
CARA_DELIVERED = FIRST_AS_OF - timedelta(days=89, hours=12)
EVENTS_FIRST = [
    *(event(f"{user}-s", "Subscribed", user, LONG_AGO) for user in ("ann", "bob", "cara")),
    event("ann-o", "Email Opened", "ann", ANN_OPENED),
    *deliveries("ann", FIRST_AS_OF - timedelta(days=70)),
    *deliveries("bob", BOB_FIFTH),
    event("cara-d", "Email Delivered", "cara", CARA_DELIVERED),
]
EVENTS_SECOND = [event("dan-d", "Email Delivered", "dan", SECOND_AS_OF - timedelta(hours=2))]


def build(warehouse: Path, as_of: datetime) -> None:
    run_dbt(
        ["build", "--exclude-resource-type", "test", "unit_test", "--select", *SELECTED],
        warehouse,
        dbt_vars={"as_of": as_of.isoformat(sep=" ")},
        quiet=True,
    )


def summary_of(warehouse: Path, contact: str) -> dict[str, Any]:
    table = read_duckdb(
        warehouse,
        f"select unengaged_since, is_sunset, email_delivered_90d from {SUMMARY}"
        f" where contact_id = '{contact}'",
    )
    return dict(
        zip(("unengaged_since", "is_sunset", "email_delivered_90d"), table.rows[0], strict=True)
    )


def test_time_passing_alone_moves_the_email_state_as_a_full_build_does(tmp_path: Path) -> None:
    daily = tmp_path / "daily.duckdb"
    land(daily, EVENTS_FIRST)
    build(daily, FIRST_AS_OF)
    # the scenario holds what it is about: nothing has happened yet at the first run
    assert summary_of(daily, "ann")["unengaged_since"] is None
    assert summary_of(daily, "bob")["is_sunset"] is False
    assert summary_of(daily, "cara")["email_delivered_90d"] == 1
    assert read_duckdb(daily, f"select * from {PERIODS} where contact_id = 'ann'").rows == []

    land(daily, EVENTS_SECOND)
    build(daily, SECOND_AS_OF)
    at_once = tmp_path / "at_once.duckdb"
    land(at_once, EVENTS_FIRST + EVENTS_SECOND)
    build(at_once, SECOND_AS_OF)

    assert summary_of(daily, "ann")["unengaged_since"] == ANN_OPENED + timedelta(days=90)
    assert summary_of(daily, "bob")["is_sunset"] is True
    assert summary_of(daily, "cara")["email_delivered_90d"] == 0
    for table in (SUMMARY, PROJECTED, PERIODS):
        columns = "* exclude (processed_as_of)" if table != PERIODS else "*"
        expected = read_duckdb(at_once, f"select {columns} from {table}")
        actual = read_duckdb(daily, f"select {columns} from {table}")
        assert expected.rows, f"{table} is empty: the comparison would prove nothing"
        assert differences(expected, actual, []) == [], table
    with duckdb.connect(str(daily), read_only=True) as con:
        rewritten = con.execute(
            f"select contact_id from {SUMMARY} where processed_as_of = ? order by contact_id",
            [SECOND_AS_OF],
        ).fetchall()
        projected = con.execute(f"select count(*) from {PROJECTED} where contact_id = 'ann'")
        ann_periods = projected.fetchone()
    # ann, bob and cara for the time alone, dan for his email
    assert rewritten == [("ann",), ("bob",), ("cara",), ("dan",)]
    # ann's period was there since the first run, ahead of its time, and untouched since
    assert ann_periods == (1,)
