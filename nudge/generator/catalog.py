"""The product catalog: products per category and their append-only change history."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nudge.generator.common import (
    CATEGORIES,
    CATEGORY_PRICE,
    CATEGORY_WEIGHTS,
    DAY,
    F64,
    I64,
    MINUTE,
    NULL,
    REPLENISHMENT_DAYS,
)
from nudge.generator.frames import lexsort

ADJECTIVES = [
    "Classic",
    "Organic",
    "Everyday",
    "Premium",
    "Essential",
    "Signature",
    "Nordic",
    "Urban",
    "Vintage",
    "Smart",
    "Deluxe",
    "Pure",
]
NOUNS = {
    "coffee": ["Espresso Roast", "Colombian Beans", "Cold Brew Blend", "Decaf Beans", "Pods"],
    "tea": ["Green Tea", "Earl Grey", "Chamomile", "Matcha", "Chai"],
    "skincare": ["Face Serum", "Moisturizer", "Sunscreen SPF 50", "Cleanser", "Eye Cream"],
    "haircare": ["Shampoo", "Conditioner", "Hair Oil", "Styling Gel", "Hair Mask"],
    "apparel": ["T-Shirt", "Hoodie", "Jeans", "Rain Jacket", "Sweater"],
    "shoes": ["Sneakers", "Running Shoes", "Boots", "Sandals", "Loafers"],
    "home": ["Throw Blanket", "Candle", "Vase", "Cushion", "Lamp"],
    "kitchen": ["Chef Knife", "Frying Pan", "French Press", "Cutting Board", "Kettle"],
    "electronics": ["Headphones", "Speaker", "Charger", "Smartwatch", "E-Reader"],
    "books": ["Cookbook", "Novel", "Travel Guide", "Notebook", "Biography"],
    "toys": ["Puzzle", "Building Blocks", "Plush Bear", "Board Game", "Kite"],
    "pet": ["Dog Food", "Cat Food", "Pet Treats", "Cat Litter", "Chew Toy"],
}

# kinds of history rows
INITIAL, SALE_START, SALE_END, OOS_START, RESTOCK, STOCK_UPDATE = range(6)


@dataclass(frozen=True)
class Catalog:
    """Products sorted by category; history rows sorted by (product, updated_at)."""

    category: I64  # per product: category code
    name: list[str]  # per product
    cat_start: I64  # per category: first product index
    cat_count: I64  # per category: number of products
    hist_product: I64
    hist_time: I64  # seconds since epoch, multiples of 60
    hist_price: I64  # cents
    hist_stock: I64

    @property
    def n_products(self) -> int:
        return int(self.category.shape[0])

    def price_at(self, product: I64, ts: I64) -> I64:
        """List price (cents) of each product at each time (before its first row: first)."""
        keys = (self.hist_product << 34) | self.hist_time
        pos = np.searchsorted(keys, (product << 34) | np.maximum(ts, 0), side="right") - 1
        first = np.searchsorted(self.hist_product, product, side="left")
        return self.hist_price[np.maximum(pos, first)]


def product_count(contacts: int) -> int:
    return int(min(3000, max(50, contacts // 20)))


def _per_category_counts(n: int) -> I64:
    share = CATEGORY_WEIGHTS / CATEGORY_WEIGHTS.sum()
    counts = np.maximum(2, np.floor(share * n)).astype(np.int64)
    order = np.argsort(-share, kind="stable")
    i = 0
    while counts.sum() < n:  # loop over categories only
        counts[order[i % len(order)]] += 1
        i += 1
    while counts.sum() > n:
        j = order[i % len(order)]
        if counts[j] > 2:
            counts[j] -= 1
        i += 1
    return counts


def build_catalog(rng: np.random.Generator, n: int, start: int, end: int) -> Catalog:
    counts = _per_category_counts(n)
    category = np.repeat(np.arange(len(CATEGORIES), dtype=np.int64), counts)
    cat_start = np.cumsum(counts) - counts
    rank = np.arange(n, dtype=np.int64) - cat_start[category]  # 0 = most popular

    names: list[str] = []
    for c, cat in enumerate(CATEGORIES):  # loop over categories
        nouns = NOUNS[cat]
        k = np.arange(int(counts[c]))
        adj = np.array(ADJECTIVES)[(k // len(nouns)) % len(ADJECTIVES)]
        noun = np.array(nouns)[k % len(nouns)]
        suffix = np.where(k >= len(nouns) * len(ADJECTIVES), " " + (k // 60 + 1).astype(str), "")
        names.extend(np.char.add(np.char.add(np.char.add(adj, " "), noun), suffix).tolist())

    base_price = (
        np.round(CATEGORY_PRICE[category] * rng.lognormal(0.0, 0.45, n) / 100).astype(np.int64)
        * 100
        - 1
    )  # x.99 prices
    base_price = np.maximum(base_price, 299)
    base_stock = rng.integers(20, 400, n)

    t0 = -(-start // MINUTE) * MINUTE  # first minute inside the window
    last = (end // MINUTE) * MINUTE - 2 * MINUTE
    span = last - t0
    prod = np.arange(n, dtype=np.int64)

    def minute(t: I64 | F64) -> I64:
        return np.clip((np.asarray(t) // MINUTE).astype(np.int64) * MINUTE, t0 + MINUTE, last)

    rows_p: list[I64] = [prod]
    rows_t: list[I64] = [np.full(n, t0, dtype=np.int64)]
    rows_k: list[I64] = [np.full(n, INITIAL, dtype=np.int64)]
    rows_v: list[F64] = [np.zeros(n)]  # discount share for sales, stock for stock rows

    # sales: one optional sale per 28-day slot, ending inside its slot
    slot = 28 * DAY
    horizon = end - 10 * DAY
    n_slots = max(1, int((horizon - t0) // slot))
    sp = np.repeat(prod, n_slots)
    slot_start = t0 + np.tile(np.arange(n_slots, dtype=np.int64), n) * slot
    has_sale = rng.random(sp.shape[0]) < 0.3
    sp, slot_start = sp[has_sale], slot_start[has_sale]
    s_begin = slot_start + rng.integers(0, 12 * DAY, sp.shape[0])
    s_end = s_begin + rng.integers(5 * DAY, 15 * DAY, sp.shape[0])
    disc = np.round(rng.uniform(0.10, 0.40, sp.shape[0]), 2)
    rows_p += [sp, sp]
    rows_t += [minute(s_begin), minute(s_end)]
    rows_k += [np.full(sp.shape[0], SALE_START), np.full(sp.shape[0], SALE_END)]
    rows_v += [disc, np.zeros(sp.shape[0])]

    # recent sales (the price-drop trigger needs fresh drops): each category's top product
    # and a random fifth of the others start a sale in the last 9 days, still running
    recent = (rank == 0) | (rng.random(n) < 0.2)
    rp = prod[recent]
    rows_p.append(rp)
    rows_t.append(minute(end - rng.integers(DAY // 2, 9 * DAY, rp.shape[0])))
    rows_k.append(np.full(rp.shape[0], SALE_START))
    rows_v.append(np.round(rng.uniform(0.12, 0.40, rp.shape[0]), 2))

    # out of stock spells: a quarter of products once mid-window; each category's second
    # product and a tenth of the others sell out recently and are restocked in the last
    # days (back-in-stock); a few are out of stock right now
    mid = rng.random(n) < 0.25
    mp = prod[mid]
    o_begin = (
        t0 + 20 * DAY + (rng.random(int(mp.shape[0])) * max(span - 80 * DAY, DAY)).astype(np.int64)
    )
    o_end = o_begin + rng.integers(3 * DAY, 25 * DAY, mp.shape[0])
    late = (rank == 1) | (rng.random(n) < 0.1)
    lp = prod[late]
    l_begin = end - rng.integers(12 * DAY, 25 * DAY, lp.shape[0])
    l_end = end - rng.integers(DAY // 2, 8 * DAY, lp.shape[0])
    now_out = (~late) & (rng.random(n) < 0.05)
    np_ = prod[now_out]
    n_begin = end - rng.integers(DAY, 10 * DAY, np_.shape[0])
    oos_p = np.concatenate([mp, lp, np_])
    oos_b = np.concatenate([o_begin, l_begin, n_begin])
    oos_e = np.concatenate([o_end, l_end, np.full(np_.shape[0], end + DAY)])
    restocked = oos_e <= end
    rows_p += [oos_p, oos_p[restocked]]
    rows_t += [minute(oos_b), minute(oos_e[restocked])]
    rows_k += [np.full(oos_p.shape[0], OOS_START), np.full(int(restocked.sum()), RESTOCK)]
    rows_v += [np.zeros(oos_p.shape[0]), rng.integers(30, 300, int(restocked.sum())).astype(float)]

    # monthly-ish stock level updates outside the out-of-stock spells
    n_upd = max(1, int(span // (35 * DAY)))
    up = np.repeat(prod, n_upd)
    ut = minute(t0 + rng.random(up.shape[0]) * span)
    inside = np.zeros(up.shape[0], dtype=bool)
    order = np.argsort(oos_p, kind="stable")
    op, ob, oe = oos_p[order], oos_b[order], oos_e[order]
    per_product = np.bincount(op, minlength=n)
    first = np.searchsorted(op, prod)
    for j in range(int(per_product.max(initial=0))):  # at most a few spells per product
        has = per_product[up] > j
        idx = np.minimum(first[up] + j, max(len(op) - 1, 0))
        inside |= has & (ut >= ob[idx] - MINUTE) & (ut <= oe[idx] + MINUTE)
    up, ut = up[~inside], ut[~inside]
    rows_p.append(up)
    rows_t.append(ut)
    rows_k.append(np.full(up.shape[0], STOCK_UPDATE))
    rows_v.append(rng.integers(5, 400, up.shape[0]).astype(float))

    hp = np.concatenate(rows_p)
    ht = np.concatenate(rows_t)
    hk = np.concatenate(rows_k).astype(np.int64)
    hv = np.concatenate(rows_v)
    order = lexsort((hk, ht, hp))
    hp, ht, hk, hv = hp[order], ht[order], hk[order], hv[order]
    keep = np.ones(hp.shape[0], dtype=bool)  # one row per (product, minute)
    keep[1:] = (hp[1:] != hp[:-1]) | (ht[1:] != ht[:-1])
    hp, ht, hk, hv = hp[keep], ht[keep], hk[keep], hv[keep]

    # forward-fill the discount and stock state within each product (first row is INITIAL)
    idx = np.arange(hp.shape[0])
    price_src = np.where(np.isin(hk, [INITIAL, SALE_START, SALE_END]), idx, 0)
    price_src = np.maximum.accumulate(price_src)
    discount = hv[price_src]
    stock_val = np.where(hk == INITIAL, base_stock[hp].astype(float), hv)
    stock_val = np.where(hk == OOS_START, 0.0, stock_val)
    stock_src = np.maximum.accumulate(
        np.where(np.isin(hk, [INITIAL, OOS_START, RESTOCK, STOCK_UPDATE]), idx, 0)
    )
    stock = stock_val[stock_src].astype(np.int64)
    price = np.round(base_price[hp] * (1 - discount)).astype(np.int64)

    return Catalog(
        category=category,
        name=names,
        cat_start=cat_start.astype(np.int64),
        cat_count=counts,
        hist_product=hp,
        hist_time=ht,
        hist_price=price,
        hist_stock=stock,
    )


def replenishment_days(category: I64) -> I64:
    return REPLENISHMENT_DAYS[category]


__all__ = ["NULL", "Catalog", "build_catalog", "product_count", "replenishment_days"]
