"""trigger_post_purchase_review and trigger_winback are incremental per contact: a run
recomputes the contacts whose events changed, and every contact when a product's name,
image or URL changed in the catalog (their payloads show them); winback also the contacts
with an order that left its lookback since the last run. Built by hand: three orders and a
review on day one, then on day two a review that cancels one series, a new order, and
either a catalog change to one product's image or a price change only (which no payload
shows); winback looks back one day, so the day-one orders leave it. Each time the
incremental tables equal a build of everything at once, and the contacts rewritten are the
ones that had to be."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
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
DAY_ONE = FIRST_AS_OF - timedelta(hours=14)
DAY_TWO = SECOND_AS_OF - timedelta(hours=14)
SERIES = "triggers.trigger_post_purchase_review"
WINBACK = "triggers.trigger_winback"
SELECTED = ["+trigger_post_purchase_review", "+trigger_winback"]
# the day-one orders are in winback's lookback on day one, out of it on day two
VARS = {"winback_lookback_days": 1}
CONTEXT = json.dumps({"channel": "web"})


def event(
    message_id: str, name: str, user: str, at: datetime, properties: dict[str, Any]
) -> tuple[Any, ...]:
    return (message_id, name, user, f"{user}-phone", at, at, json.dumps(properties), CONTEXT)


def order(
    message_id: str, user: str, order_id: str, at: datetime, *products: str
) -> tuple[Any, ...]:
    lines = [{"product_id": p, "name": p.upper(), "price": 10, "quantity": 1} for p in products]
    properties = {"order_id": order_id, "total": 10 * len(products), "products": lines}
    return event(message_id, "Order Completed", user, at, properties)


def review(message_id: str, user: str, product: str, at: datetime) -> tuple[Any, ...]:
    return event(message_id, "Product Reviewed", user, at, {"product_id": product, "rating": 5})


def catalog(product: str, image: str, price: str, at: datetime) -> tuple[Any, ...]:
    return (
        product,
        product.upper(),
        "home",
        Decimal(price),
        "USD",
        5,
        f"https://img/{image}",
        f"https://shop/{product}",
        None,
        at,
    )


EVENTS_FIRST = [
    order("o-ann", "ann", "order-ann", DAY_ONE, "p-1", "p-2"),
    order("o-bob", "bob", "order-bob", DAY_ONE, "p-1"),
    order("o-dan", "dan", "order-dan", DAY_ONE, "p-2"),
    review("r-1", "ann", "p-1", DAY_ONE + timedelta(hours=1)),
]
CATALOG_FIRST = [
    catalog("p-1", "p-1-v1.jpg", "10.00", DAY_ONE - timedelta(days=1)),
    catalog("p-2", "p-2-v1.jpg", "10.00", DAY_ONE - timedelta(days=1)),
]
# ann reviews her order's second product (its series is cancelled), cara orders
EVENTS_SECOND = [
    review("r-2", "ann", "p-2", DAY_TWO),
    order("o-cara", "cara", "order-cara", DAY_TWO, "p-2"),
]
# p-1 gets a new image: bob's series shows it though bob did nothing
NEW_IMAGE = [catalog("p-1", "p-1-v2.jpg", "10.00", DAY_TWO)]
# p-2's price falls: no payload shows the catalog's price
NEW_PRICE = [catalog("p-2", "p-2-v1.jpg", "8.00", DAY_TWO)]


def build(warehouse: Path, as_of: datetime) -> None:
    run_dbt(
        ["build", "--exclude-resource-type", "test", "unit_test", "--select", *SELECTED],
        warehouse,
        dbt_vars={"as_of": as_of.isoformat(sep=" "), **VARS},
        quiet=True,
    )


def rewritten_contacts(warehouse: Path, table: str = SERIES) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            f"select distinct contact_id from {table}"
            f" where processed_as_of = timestamp '{SECOND_AS_OF}' order by contact_id"
        ).fetchall()
    return [contact for (contact,) in rows]


def day_by_day_and_at_once(tmp_path: Path, catalog_change: list[tuple[Any, ...]]) -> Path:
    daily = tmp_path / "daily.duckdb"
    land(daily, EVENTS_FIRST, products=CATALOG_FIRST)
    build(daily, FIRST_AS_OF)
    land(daily, EVENTS_SECOND, products=catalog_change)
    build(daily, SECOND_AS_OF)

    at_once = tmp_path / "at_once.duckdb"
    land(at_once, EVENTS_FIRST + EVENTS_SECOND, products=CATALOG_FIRST + catalog_change)
    build(at_once, SECOND_AS_OF)

    columns = "* exclude (processed_as_of)"
    for table, rows in ((SERIES, 4), (WINBACK, 1)):
        expected = read_duckdb(at_once, f"select {columns} from {table}")
        actual = read_duckdb(daily, f"select {columns} from {table}")
        assert len(expected.rows) == rows, table
        assert differences(expected, actual, []) == [], table
    return daily


def test_a_catalog_change_to_an_image_recomputes_every_contact(tmp_path: Path) -> None:
    daily = day_by_day_and_at_once(tmp_path, NEW_IMAGE)
    assert rewritten_contacts(daily) == ["ann", "bob", "cara", "dan"]
    with duckdb.connect(str(daily), read_only=True) as con:
        payload, cancel_reason = con.execute(
            f"select payload, cancel_reason from {SERIES} where contact_id = 'bob'"
        ).fetchone() or (None, None)
        ann = con.execute(f"select cancel_reason from {SERIES} where contact_id = 'ann'").fetchone()
    assert "p-1-v2.jpg" in payload
    assert cancel_reason is None
    assert ann == ("all_products_reviewed",)


def test_only_the_contacts_with_new_events_are_recomputed_otherwise(tmp_path: Path) -> None:
    daily = day_by_day_and_at_once(tmp_path, NEW_PRICE)
    assert rewritten_contacts(daily) == ["ann", "cara"]
    # bob's and dan's day-one orders left winback's lookback: their series went with them
    assert rewritten_contacts(daily, WINBACK) == ["cara"]
