"""People in one block: contacts (with a user_id) and anonymous-only visitors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nudge.generator.common import (
    CATEGORIES,
    CATEGORY_WEIGHTS,
    DAY,
    F64,
    HOUR,
    I64,
    NULL,
    TZ_WEIGHTS,
    B,
    weighted_choice,
)

FIRST_NAMES = [
    "Emma", "Liam", "Olivia", "Noah", "Ava", "Elijah", "Sophia", "Lucas", "Mia", "Mateo",
    "Amelia", "Hiro", "Yuki", "Lena", "Jonas", "Chloe", "Louis", "Priya", "Arjun", "Fatima",
    "Omar", "Grace", "Jack", "Isla", "Zoe", "Jose", "Ana", "Chen", "Mei", "Sam",
]  # fmt: skip
LAST_NAMES = [
    "Smith", "Johnson", "Garcia", "Miller", "Davis", "Martinez", "Lee", "Walker", "Hall",
    "Young", "Schmidt", "Muller", "Dubois", "Martin", "Tanaka", "Sato", "Kim", "Patel",
    "Singh", "Brown", "Wilson", "Taylor", "Silva", "Costa", "Nguyen", "Chen", "Lopez",
]  # fmt: skip
EMAIL_DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "icloud.com", "example.com"]


@dataclass
class People:
    """Per-person arrays for one block; contacts first, then visitors."""

    block: int
    n_contacts: int
    user: I64  # global contact index (user_id = u%07d of index + 1); NULL for visitors
    anon_base: I64  # anonymous_id index of device 0 (devices are anon_base + d)
    n_dev: I64
    app_dev: I64  # device index of the app install, NULL if none
    tz: I64
    existing: B  # a customer from before the window
    active_start: I64
    active_end: I64
    rate: F64  # sessions per day
    fav_cat: I64
    second_cat: I64
    focus_product: I64
    p_order: F64
    p_cart: F64
    anon_sessions: I64  # sessions browsed anonymously before identifying
    weekend: B
    coupon_heavy: B
    high_spender: B
    support_seeker: B
    reader: B
    store_shopper: B
    replenisher: B
    first_name: I64
    last_name: I64
    domain: I64

    @property
    def n(self) -> int:
        return int(self.user.shape[0])

    @property
    def is_contact(self) -> B:
        return self.user != NULL


def build_people(
    rng: np.random.Generator,
    block: int,
    first_contact: int,
    n_contacts: int,
    first_visitor: int,
    n_visitors: int,
    start: int,
    end: int,
    cat_start: I64,
    cat_count: I64,
) -> People:
    n = n_contacts + n_visitors
    contact = np.arange(n) < n_contacts
    user = np.where(contact, first_contact + np.arange(n), NULL).astype(np.int64)
    # device slots 0..2 for contacts, slot 3 for visitors: anonymous ids never collide
    anon_base = np.where(
        contact,
        4 * (first_contact + np.arange(n)),
        4 * (first_visitor + np.arange(n) - n_contacts) + 3,
    ).astype(np.int64)
    n_dev = np.where(contact, weighted_choice(rng, np.array([55.0, 33.0, 12.0]), n) + 1, 1)
    has_app = contact & (rng.random(n) < 0.22)
    n_dev = np.where(has_app & (n_dev == 1), 2, n_dev)
    app_dev = np.where(has_app, n_dev - 1, NULL).astype(np.int64)

    tz = weighted_choice(rng, TZ_WEIGHTS, n)
    span = end - start
    existing = contact & (rng.random(n) < 0.35)
    arrival = start + (rng.random(n) ** 1.3 * span * 0.97).astype(np.int64)
    active_start = np.where(existing, start, arrival)
    churn = rng.random(n) < 0.3
    life = (rng.exponential(150 * DAY, n)).astype(np.int64) + 7 * DAY
    active_end = np.where(churn, np.minimum(active_start + life, end), end)
    active_end = np.maximum(active_end, np.minimum(active_start + DAY, end))
    active_start = np.minimum(active_start, active_end - 4 * HOUR)

    rate = np.where(contact, rng.lognormal(np.log(0.028), 0.8, n), 0.0)
    rate = np.where(has_app, rate * 1.6, rate)

    fav_cat = weighted_choice(rng, CATEGORY_WEIGHTS, n)
    second_cat = (fav_cat + rng.integers(1, len(CATEGORIES), n)) % len(CATEGORIES)
    focus_rank = np.minimum(
        (rng.random(n) ** 2 * cat_count[fav_cat]).astype(np.int64), cat_count[fav_cat] - 1
    )
    focus_product = cat_start[fav_cat] + focus_rank

    buyer = contact & (rng.random(n) < 0.62)
    high_spender = buyer & (rng.random(n) < 0.06)
    p_order = np.where(buyer, rng.beta(2.0, 6.0, n), 0.0)
    p_order = np.where(high_spender, np.maximum(p_order, 0.45), p_order)
    p_cart = rng.uniform(0.08, 0.22, n)

    anon_first = contact & (rng.random(n) < 0.6)
    anon_sessions = np.where(anon_first, rng.integers(1, 4, n), 0).astype(np.int64)

    weekend = buyer & (rng.random(n) < 0.05)
    weekend_boost = weekend & (p_order < 0.35)
    p_order = np.where(weekend_boost, 0.45, p_order)
    coupon_heavy = buyer & (rng.random(n) < 0.06)
    p_order = np.where(coupon_heavy, np.maximum(p_order, 0.35), p_order)

    return People(
        block=block,
        n_contacts=n_contacts,
        user=user,
        anon_base=anon_base,
        n_dev=n_dev.astype(np.int64),
        app_dev=app_dev,
        tz=tz,
        existing=existing,
        active_start=active_start.astype(np.int64),
        active_end=active_end.astype(np.int64),
        rate=rate,
        fav_cat=fav_cat,
        second_cat=second_cat.astype(np.int64),
        focus_product=focus_product.astype(np.int64),
        p_order=p_order,
        p_cart=p_cart,
        anon_sessions=anon_sessions,
        weekend=weekend,
        coupon_heavy=coupon_heavy,
        high_spender=high_spender,
        support_seeker=contact & (rng.random(n) < 0.05),
        reader=rng.random(n) < 0.08,
        store_shopper=contact & (rng.random(n) < 0.1),
        replenisher=buyer & (rng.random(n) < 0.22),
        first_name=rng.integers(0, len(FIRST_NAMES), n),
        last_name=rng.integers(0, len(LAST_NAMES), n),
        domain=weighted_choice(rng, np.array([40.0, 12, 20, 10, 18]), n),
    )
