"""Orders: prices and totals for web/app orders, in-store orders, refunds and reviews."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nudge.generator.catalog import Catalog
from nudge.generator.common import (
    CH,
    COUPON_PCT,
    DAY,
    EV,
    HOUR,
    I64,
    NULL,
    TZ_OFFSET,
    local_day_and_dow,
    weighted_choice,
)
from nudge.generator.contacts import People
from nudge.generator.sessions import ID_SPACE, LATEST_SESSION_START, SessionActivity, pick_products


@dataclass
class Orders:
    """Every completed order of a block and its lines."""

    order: I64
    person: I64
    ts: I64
    total: I64
    channel: I64
    line_order: I64
    line_product: I64
    line_qty: I64
    line_price: I64


def price_session_rows(
    activity: SessionActivity, catalog: Catalog, n_sessions: int, block: int
) -> Orders:
    """Fill catalog prices, cart values and order totals into the session rows (in place)."""
    rows = activity.rows
    has_product = rows["product"] != NULL
    price = np.full(rows["ts"].shape[0], NULL, dtype=np.int64)
    price[has_product] = catalog.price_at(rows["product"][has_product], rows["ts"][has_product])
    rows["price"] = price

    line_price = price[activity.line_row]
    amount = line_price * activity.line_qty
    ls = activity.line_session
    cart_value = np.bincount(ls[activity.line_in_cart], amount[activity.line_in_cart], n_sessions)
    subtotal = np.bincount(ls[activity.line_in_order], amount[activity.line_in_order], n_sessions)
    session = rows["session"]
    event = rows["event"]
    checkout = event == EV["Checkout Started"]
    rows["value"] = np.where(checkout, cart_value[session].astype(np.int64), NULL)

    oc = event == EV["Order Completed"]
    coupon = rows["coupon"]
    pct = np.where(coupon != NULL, COUPON_PCT[np.maximum(coupon, 0)], 0)
    sub = subtotal[session].astype(np.int64)
    discount = (sub * pct + 50) // 100
    rows["discount"] = np.where(oc & (coupon != NULL), discount, NULL)
    rows["total"] = np.where(oc, sub - discount, NULL)
    rows["revenue"] = rows["total"].copy()

    oi = np.flatnonzero(oc)
    keep = activity.line_in_order
    return Orders(
        order=rows["order"][oi],
        person=rows["person"][oi],
        ts=rows["ts"][oi],
        total=rows["total"][oi],
        channel=rows["channel"][oi],
        line_order=block * ID_SPACE + ls[keep],
        line_product=activity.line_product[keep],
        line_qty=activity.line_qty[keep],
        line_price=line_price[keep],
    )


def store_orders(
    rng: np.random.Generator,
    people: People,
    t_ident: I64,
    catalog: Catalog,
    block: int,
    first_id: int,
    end: int,
) -> tuple[dict[str, I64], Orders]:
    """In-store purchases (context.channel = 'store') of the store shoppers."""
    who = np.flatnonzero(people.store_shopper & (t_ident != NULL))
    count = 1 + np.minimum(rng.poisson(1.3, who.shape[0]), 6)
    person = np.repeat(who, count)
    n = person.shape[0]
    lo = np.maximum(t_ident[person], people.active_start[person])
    hi = np.maximum(np.minimum(people.active_end[person], end - LATEST_SESSION_START), lo)
    raw = lo + (rng.random(n) * (hi - lo)).astype(np.int64)
    offset = TZ_OFFSET[people.tz[person]]
    day, dow = local_day_and_dow(raw, offset)
    weekend = people.weekend[person] & (rng.random(n) < 0.85)
    day = np.where(weekend & (dow < 5), day + (5 - dow), day)
    ts = day * DAY + rng.integers(10 * HOUR, 19 * HOUR, n) - offset
    ts = np.where((ts < lo) | (ts > hi), raw, ts)
    order = block * ID_SPACE + first_id + np.arange(n, dtype=np.int64)

    lines = 1 + weighted_choice(rng, np.array([60.0, 28, 12]), n)
    lo_idx = np.repeat(np.arange(n), lines)
    lp = pick_products(
        rng, people.fav_cat[person][lo_idx], people.second_cat[person][lo_idx], catalog
    )
    lq = 1 + weighted_choice(rng, np.array([85.0, 15]), lo_idx.shape[0])
    price = catalog.price_at(lp, ts[lo_idx])
    subtotal = np.bincount(lo_idx, price * lq, n).astype(np.int64)
    coupon = np.where(
        rng.random(n) < np.where(people.coupon_heavy[person], 0.8, 0.08),
        rng.integers(0, 5, n),
        NULL,
    )
    pct = np.where(coupon != NULL, COUPON_PCT[np.maximum(coupon, 0)], 0)
    discount = (subtotal * pct + 50) // 100
    total = subtotal - discount
    rows = {
        "person": person,
        "ts": ts,
        "event": np.full(n, EV["Order Completed"]),
        "channel": np.full(n, CH["store"]),
        "server": np.ones(n, dtype=np.int64),
        "order": order,
        "coupon": coupon,
        "discount": np.where(coupon != NULL, discount, NULL),
        "total": total,
        "revenue": total,
    }
    orders = Orders(
        order=order,
        person=person,
        ts=ts,
        total=total,
        channel=np.full(n, CH["store"]),
        line_order=order[lo_idx],
        line_product=lp,
        line_qty=lq,
        line_price=price,
    )
    return rows, orders


def merge_orders(a: Orders, b: Orders) -> Orders:
    return Orders(
        *(np.concatenate([getattr(a, f), getattr(b, f)]) for f in Orders.__dataclass_fields__)
    )


def refunds_and_reviews(
    rng: np.random.Generator, orders: Orders, block: int, first_id: int, end: int
) -> dict[str, I64]:
    """Order Refunded for ~4% of orders and Product Reviewed after ~15% of them."""
    n = int(orders.order.shape[0])
    refund = rng.random(n) < 0.04
    r_ts = orders.ts + rng.integers(2 * DAY, 20 * DAY, n)
    refund &= r_ts <= end - HOUR
    partial = rng.random(n) < 0.3
    r_total = np.where(
        partial, (orders.total * rng.uniform(0.2, 0.8, n)).astype(np.int64), orders.total
    )

    # the first line of each order is the reviewed product
    sorted_lines = np.argsort(orders.line_order, kind="stable")
    line_order_sorted = orders.line_order[sorted_lines]
    first_line = sorted_lines[
        np.minimum(np.searchsorted(line_order_sorted, orders.order), max(len(sorted_lines) - 1, 0))
    ]
    review = rng.random(n) < 0.15
    v_ts = orders.ts + rng.integers(5 * DAY, 25 * DAY, n)
    review &= v_ts <= end - HOUR
    rating = 1 + weighted_choice(rng, np.array([4.0, 6, 15, 30, 45]), n)

    ri, vi = np.flatnonzero(refund), np.flatnonzero(review)
    return {
        "person": np.concatenate([orders.person[ri], orders.person[vi]]),
        "ts": np.concatenate([r_ts[ri], v_ts[vi]]),
        "event": np.concatenate(
            [
                np.full(ri.shape[0], EV["Order Refunded"]),
                np.full(vi.shape[0], EV["Product Reviewed"]),
            ]
        ),
        "channel": np.concatenate(
            [
                np.where(orders.channel[ri] == CH["store"], CH["store"], CH["web"]),
                np.full(vi.shape[0], CH["web"]),
            ]
        ),
        "server": np.ones(ri.shape[0] + vi.shape[0], dtype=np.int64),
        "order": np.concatenate([orders.order[ri], np.full(vi.shape[0], NULL)]),
        "total": np.concatenate([r_total[ri], np.full(vi.shape[0], NULL)]),
        "product": np.concatenate(
            [np.full(ri.shape[0], NULL), orders.line_product[first_line[vi]]]
        ),
        "review": np.concatenate(
            [np.full(ri.shape[0], NULL), block * ID_SPACE + first_id + np.arange(vi.shape[0])]
        ),
        "rating": np.concatenate([np.full(ri.shape[0], NULL), rating[vi]]),
    }
