"""Two cases the generated store of tests/test_incremental.py rarely holds, built by hand:
a device re-stitched to another contact (its events move to the new owner, and the old
owner's sessions must lose them), and a cart event stamped ahead of its landing (it enters
the cart model in the first run after its time comes, with nothing new landed about it).
Run as of one day, then, after the next day's rows landed, as of the next: the incremental
models equal a build of everything at once."""

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
BROWSE_SERIES = "intermediate.int_browse_abandonments_detected"
SESSIONS = "intermediate.int_sessions_aggregated"
SEND_HOURS = "intermediate.int_send_hours_preferred"
MODELS = [
    "intermediate.int_events_attributed",
    "intermediate.int_site_events_sessionized",
    "intermediate.int_cart_events_parsed",
    "intermediate.int_email_events_parsed",
    "intermediate.int_product_views_parsed",
    "intermediate.int_page_views_parsed",
    BROWSE_SERIES,
    SESSIONS,
    SEND_HOURS,
]
# the models with a row per event
EVENT_MODELS = [model for model in MODELS if model not in (BROWSE_SERIES, SESSIONS, SEND_HOURS)]
SELECTED = [
    "+int_site_events_sessionized",
    "+int_cart_events_parsed",
    "+int_email_events_parsed",
    "+int_product_views_parsed",
    "+int_page_views_parsed",
    "+int_browse_abandonments_detected",
    "+int_sessions_aggregated",
    "+int_send_hours_preferred",
]
CONTEXT = json.dumps({"channel": "web", "timezone": "Europe/Paris"})


def event(
    message_id: str, name: str, user: str | None, device: str, at: datetime, landed: datetime
) -> tuple[Any, ...]:
    properties = {"product_id": "p-1", "cart_id": "cart-1", "price": 12.5, "quantity": 1}
    return (message_id, name, user, device, at, landed, json.dumps(properties), CONTEXT)


def identify(
    message_id: str, user: str, device: str | None, at: datetime, timezone: str | None = None
) -> tuple[Any, ...]:
    traits = {"email": f"{user}@example.com", **({"timezone": timezone} if timezone else {})}
    return (message_id, user, device, at, at, json.dumps(traits))


DAY_ONE = FIRST_AS_OF - timedelta(hours=14)
DAY_TWO = SECOND_AS_OF - timedelta(hours=14)
EVENTS_FIRST = [
    event("e-1", "Page Viewed", None, "shared-device", DAY_ONE, DAY_ONE),
    event("e-2", "Product Viewed", None, "shared-device", DAY_ONE + timedelta(minutes=5), DAY_ONE),
    event("e-10", "Page Viewed", "eve", "eve-phone", DAY_ONE + timedelta(hours=1), DAY_ONE),
    # feedback on the first day too: an input empty until the second run counts as rebuilt
    event("e-11", "Email Delivered", "cara", "cara-phone", DAY_ONE, DAY_ONE),
    # a second view: ann's browse series, which moves to bob with the device
    event("e-9", "Product Viewed", None, "shared-device", DAY_ONE + timedelta(minutes=9), DAY_ONE),
    event("e-3", "Page Viewed", "ann", "ann-phone", DAY_ONE + timedelta(hours=2), DAY_ONE),
    event("e-4", "Product Added", "dan", "dan-phone", DAY_ONE, DAY_ONE),
    # stamped three hours ahead of its landing, after the first run's as_of
    event(
        "e-5",
        "Product Added",
        "dan",
        "dan-phone",
        FIRST_AS_OF + timedelta(hours=2),
        FIRST_AS_OF - timedelta(hours=1),
    ),
    event(
        "e-8",
        "Product Viewed",
        "dan",
        "dan-phone",
        FIRST_AS_OF + timedelta(hours=3),
        FIRST_AS_OF - timedelta(hours=1),
    ),
]
IDENTIFIES_FIRST = [identify("i-1", "ann", "shared-device", DAY_ONE - timedelta(hours=1))]
# the next day the shared device signs in as bob: its events move from ann to bob
IDENTIFIES_SECOND = [
    identify("i-2", "bob", "shared-device", DAY_TWO),
    # eve moves to Tokyo without a new event or link: her preferred send hour follows
    identify("i-3", "eve", None, DAY_TWO, timezone="Asia/Tokyo"),
]
EVENTS_SECOND = [
    event("e-6", "Page Viewed", "bob", "bob-laptop", DAY_TWO, DAY_TWO),
    event("e-7", "Email Opened", "cara", "cara-phone", DAY_TWO, DAY_TWO),
]


def build(warehouse: Path, as_of: datetime, listed_keys_max: int = 10000) -> None:
    run_dbt(
        ["build", "--exclude-resource-type", "test", "unit_test", "--select", *SELECTED],
        warehouse,
        dbt_vars={
            "as_of": as_of.isoformat(sep=" "),
            "incremental_listed_keys_max": listed_keys_max,
        },
        quiet=True,
    )


def sessions_of(warehouse: Path) -> dict[str, str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select message_id, contact_id from intermediate.int_site_events_sessionized"
        ).fetchall()
    return dict(rows)


# 0: every touched key set but an empty one is read through its query, not as literals
@pytest.mark.parametrize("listed_keys_max", [10000, 0])
def test_day_by_day_equals_all_at_once_with_a_restitched_device_and_an_early_stamp(
    tmp_path: Path, listed_keys_max: int
) -> None:
    daily = tmp_path / "daily.duckdb"
    land(daily, EVENTS_FIRST, IDENTIFIES_FIRST)
    build(daily, FIRST_AS_OF, listed_keys_max)
    before = sessions_of(daily)
    land(daily, EVENTS_SECOND, IDENTIFIES_SECOND)
    build(daily, SECOND_AS_OF, listed_keys_max)

    at_once = tmp_path / "at_once.duckdb"
    land(at_once, EVENTS_FIRST + EVENTS_SECOND, IDENTIFIES_FIRST + IDENTIFIES_SECOND)
    build(at_once, SECOND_AS_OF)

    # the scenario holds what it is about
    assert (before["e-1"], before["e-2"]) == ("ann", "ann")
    after = sessions_of(at_once)
    assert (after["e-1"], after["e-2"], after["e-3"]) == ("bob", "bob", "ann")
    with duckdb.connect(str(daily), read_only=True) as con:
        carts = con.execute(
            "select message_id, processed_as_of from intermediate.int_cart_events_parsed"
        ).fetchall()
    assert sorted(carts) == [("e-4", FIRST_AS_OF), ("e-5", SECOND_AS_OF)]  # e-5 once due
    with duckdb.connect(str(daily), read_only=True) as con:
        views = con.execute(
            "select message_id, contact_id, processed_as_of"
            " from intermediate.int_product_views_parsed"
        ).fetchall()
    # e-2 and e-9 moved to bob with their device; e-8 once due
    assert sorted(views) == [
        ("e-2", "bob", SECOND_AS_OF),
        ("e-8", "dan", SECOND_AS_OF),
        ("e-9", "bob", SECOND_AS_OF),
    ]
    with duckdb.connect(str(daily), read_only=True) as con:
        browsers = con.execute(
            "select contact_id from intermediate.int_browse_abandonments_detected"
        ).fetchall()
    assert browsers == [("bob",)]  # ann's series left with the device
    with duckdb.connect(str(daily), read_only=True) as con:
        zones = con.execute(
            "select contact_id, timezone from intermediate.int_send_hours_preferred"
            " where contact_id = 'eve'"
        ).fetchall()
    assert zones == [("eve", "Asia/Tokyo")]

    for model in MODELS:
        columns = "* exclude (processed_as_of)"
        expected = read_duckdb(at_once, f"select {columns} from {model}")
        actual = read_duckdb(daily, f"select {columns} from {model}")
        assert expected.rows, f"{model} is empty: the comparison would prove nothing"
        assert differences(expected, actual, []) == [], model


# landed after the first run, each stamped as landed before its as_of
LATE = [
    event("l-1", "Page Viewed", "dan", "dan-phone", DAY_ONE + timedelta(hours=3), DAY_ONE),
    event("l-2", "Product Viewed", "dan", "dan-phone", DAY_ONE + timedelta(hours=3), DAY_ONE),
    event("l-3", "Product Added", "dan", "dan-phone", DAY_ONE + timedelta(hours=3), DAY_ONE),
    event("l-4", "Email Opened", "dan", "dan-phone", DAY_ONE + timedelta(hours=3), DAY_ONE),
]


def test_a_rerun_as_of_the_same_instant_takes_the_rows_landed_late_since(tmp_path: Path) -> None:
    # the rerun's inputs stamp the late rows with the same processed_as_of as the first run
    rerun = tmp_path / "rerun.duckdb"
    land(rerun, EVENTS_FIRST, IDENTIFIES_FIRST)
    build(rerun, FIRST_AS_OF)
    land(rerun, LATE, [])
    build(rerun, FIRST_AS_OF)

    at_once = tmp_path / "at_once.duckdb"
    land(at_once, EVENTS_FIRST + LATE, IDENTIFIES_FIRST)
    build(at_once, FIRST_AS_OF)

    for model in EVENT_MODELS:
        expected = read_duckdb(at_once, f"select * from {model}")
        actual = read_duckdb(rerun, f"select * from {model}")
        late = read_duckdb(at_once, f"select message_id from {model} where message_id like 'l-%'")
        assert late.rows, f"{model} holds no late row: the comparison would prove nothing"
        assert differences(expected, actual, []) == [], model
