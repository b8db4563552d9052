"""Web and app sessions: when people visit, and what they do in each visit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nudge.generator.catalog import Catalog
from nudge.generator.common import (
    APP_VERSIONS,
    CAMPAIGNS,
    CATEGORIES,
    CATEGORY_WEIGHTS,
    CH,
    CONTENT,
    DAY,
    EV,
    HOUR,
    I64,
    N_STATIC,
    NULL,
    PAGE,
    REFERRERS,
    REPLENISHMENT_DAYS,
    TICKET_TOPICS,
    TOPICS,
    TZ_OFFSET,
    VIDEOS,
    B,
    at_local_hour,
    category_page,
    group_first,
    local_day_and_dow,
    product_page,
    repeat_arange,
    weighted_choice,
)
from nudge.generator.contacts import People
from nudge.generator.frames import concat_frames, lexsort

BROWSE, CART, ORDER = 0, 1, 2
LATEST_SESSION_START = 3 * HOUR  # sessions start at least this long before `end`
ID_SPACE = 100_000_000  # per-block id space for carts, orders, tickets, ...


@dataclass
class Sessions:
    """Sessions sorted by (person, start)."""

    person: I64
    device: I64
    channel: I64
    start: I64
    stage: I64
    forced_product: I64
    campaign: I64
    referrer: I64

    @property
    def n(self) -> int:
        return int(self.person.shape[0])


def pick_products(rng: np.random.Generator, fav: I64, second: I64, catalog: Catalog) -> I64:
    """A product per row: mostly from the person's favourite categories, popular ones first."""
    n = fav.shape[0]
    u = rng.random(n)
    other = weighted_choice(rng, CATEGORY_WEIGHTS, n)
    cat = np.where(u < 0.6, fav, np.where(u < 0.85, second, other))
    count = catalog.cat_count[cat]
    rank = np.minimum((rng.random(n) ** 2.2 * count).astype(np.int64), count - 1)
    return catalog.cat_start[cat] + rank


def _shift_to_weekend(
    rng: np.random.Generator, ts: I64, offset: I64, limit_lo: I64, limit_hi: I64
) -> I64:
    _, dow = local_day_and_dow(ts, offset)
    target = np.where(rng.random(ts.shape[0]) < 0.5, 5, 6)
    moved = ts + (target - dow) * DAY
    moved = np.where(moved > limit_hi, moved - 7 * DAY, moved)
    return np.where(moved < limit_lo, ts, moved)


def schedule_sessions(rng: np.random.Generator, people: People, end: int) -> Sessions:
    n = people.n
    contact = people.is_contact
    days = (people.active_end - people.active_start) / DAY
    count = np.where(
        contact,
        np.maximum(1, rng.poisson(people.rate * days)),
        1 + rng.poisson(0.7, n),
    )
    count = np.minimum(count, 150).astype(np.int64)
    count = np.maximum(count, people.anon_sessions + 1)
    person = np.repeat(np.arange(n, dtype=np.int64), count)
    lo = people.active_start[person]
    hi = np.maximum(np.minimum(people.active_end[person], end - LATEST_SESSION_START), lo)
    raw = lo + (rng.random(person.shape[0]) * (hi - lo)).astype(np.int64)
    offset = TZ_OFFSET[people.tz[person]]
    day, _ = local_day_and_dow(raw, offset)
    start = at_local_hour(rng, day, offset)
    weekend = people.weekend[person] & (rng.random(person.shape[0]) < 0.85)
    start = np.where(weekend, _shift_to_weekend(rng, start, offset, lo, hi), start)
    start = np.clip(start, lo, hi)
    return _finish_sessions(rng, people, person, start)


def _finish_sessions(
    rng: np.random.Generator,
    people: People,
    person: I64,
    start: I64,
    stage: I64 | None = None,
    forced: I64 | None = None,
) -> Sessions:
    s = person.shape[0]
    device = (rng.random(s) * people.n_dev[person]).astype(np.int64)
    channel = np.where(device == people.app_dev[person], CH["app"], CH["web"])
    if stage is None:
        u = rng.random(s)
        p_order = people.p_order[person]
        stage = np.where(
            u < p_order, ORDER, np.where(u < p_order + people.p_cart[person], CART, BROWSE)
        )
    campaign = np.where(rng.random(s) < 0.22, rng.integers(0, len(CAMPAIGNS), s), NULL)
    referrer = np.where(
        campaign != NULL,
        NULL,
        np.where(rng.random(s) < 0.35, rng.integers(0, len(REFERRERS), s), NULL),
    )
    order = lexsort((start, person))
    return Sessions(
        person=person[order],
        device=device[order],
        channel=channel[order].astype(np.int64),
        start=start[order],
        stage=stage[order].astype(np.int64),
        forced_product=(forced if forced is not None else np.full(s, NULL, dtype=np.int64))[order],
        campaign=campaign[order].astype(np.int64),
        referrer=referrer[order].astype(np.int64),
    )


def identification(people: People, sessions: Sessions) -> tuple[I64, I64]:
    """Per person: the moment their browsing becomes identified, and the device it happens on.

    Contacts who browse anonymously first are identified at the start of session number
    `anon_sessions`; the others at their first session. Visitors never are (NULL)."""
    first = np.flatnonzero(group_first(sessions.person))
    count = np.diff(np.append(first, sessions.n))
    pos = first + np.minimum(people.anon_sessions[sessions.person[first]], count - 1)
    t_ident = np.full(people.n, NULL, dtype=np.int64)
    dev = np.full(people.n, NULL, dtype=np.int64)
    owner = sessions.person[pos]
    t_ident[owner] = sessions.start[pos]
    dev[owner] = sessions.device[pos]
    t_ident[~people.is_contact] = NULL
    dev[~people.is_contact] = NULL
    return t_ident, dev


def replenishment_sessions(
    rng: np.random.Generator, people: People, t_ident: I64, catalog: Catalog, end: int
) -> tuple[I64, I64, I64]:
    """Repeat purchases of a consumable on its replenishment cycle: (person, start, product)."""
    who = np.flatnonzero(people.replenisher & people.is_contact)
    consumable_fav = REPLENISHMENT_DAYS[people.fav_cat[who]] != NULL
    cat = np.where(consumable_fav, people.fav_cat[who], rng.choice([0, 2, 11], who.shape[0]))
    count = catalog.cat_count[cat]
    product = catalog.cat_start[cat] + np.minimum(
        (rng.random(who.shape[0]) ** 2 * count).astype(np.int64), count - 1
    )
    cycle = REPLENISHMENT_DAYS[cat] * DAY
    lo = np.maximum(t_ident[who], people.active_start[who])
    hi = np.minimum(people.active_end[who], end - LATEST_SESSION_START)
    k = 14
    first = lo + (rng.random(who.shape[0]) * cycle * 0.8).astype(np.int64)
    jitter = rng.uniform(0.85, 1.2, (who.shape[0], k))
    jitter[:, 0] = 0.0
    times = first[:, None] + np.cumsum(jitter * cycle[:, None], axis=1).astype(np.int64)
    ok = times <= hi[:, None]
    rows, cols = np.nonzero(ok)
    return who[rows], times[rows, cols], product[rows]


def add_sessions(
    rng: np.random.Generator, people: People, base: Sessions, person: I64, start: I64, product: I64
) -> Sessions:
    extra = _finish_sessions(
        rng, people, person, start, stage=np.full(person.shape[0], ORDER), forced=product
    )
    merged = Sessions(
        *(
            np.concatenate([getattr(base, f), getattr(extra, f)])
            for f in Sessions.__dataclass_fields__
        )
    )
    order = lexsort((merged.start, merged.person))
    return Sessions(*(getattr(merged, f)[order] for f in Sessions.__dataclass_fields__))


# slots: the order of event kinds inside one session
(
    S_APP,
    S_LANDING,
    S_SEARCH,
    S_LIST,
    S_BROWSE,
    S_LINES,
    S_WISHLIST,
    S_REMOVE,
    S_CART_PAGE,
    S_CHECKOUT,
    S_COUPON,
    S_ORDER,
    S_PAGES,
    S_CONTENT,
    S_TICKET,
    S_VIDEO,
) = range(16)


@dataclass
class SessionActivity:
    rows: dict[str, I64]  # event rows, columns as in assemble.EVENT_COLUMNS (subset)
    line_session: I64  # order/cart lines
    line_product: I64
    line_qty: I64
    line_row: I64  # the Product Added row of each line (index into rows, after sorting)
    line_in_cart: B  # still in the cart at checkout (not removed)
    line_in_order: B


def session_activity(
    rng: np.random.Generator, people: People, sessions: Sessions, catalog: Catalog, block: int
) -> SessionActivity:
    s_all = np.arange(sessions.n, dtype=np.int64)
    per = sessions.person
    fav, second = people.fav_cat[per], people.second_cat[per]
    stage = sessions.stage
    parts: list[dict[str, I64]] = []
    ids = block * ID_SPACE

    def part(mask: B, slot: int, event: int, **cols: I64) -> None:
        s = s_all[mask]
        row = {
            "session": s,
            "slot": np.full(s.shape[0], slot),
            "sub": np.zeros(s.shape[0], np.int64),
        }
        row["event"] = np.full(s.shape[0], event)
        row.update(cols)
        parts.append(row)

    n = sessions.n
    # app launch and landing page
    part(sessions.channel == CH["app"], S_APP, EV["Application Opened"],
         version=rng.integers(0, len(APP_VERSIONS), n)[sessions.channel == CH["app"]])  # fmt: skip
    land_type = weighted_choice(rng, np.array([45.0, 20, 15, 10, 10]), n)
    land_cat = np.where(rng.random(n) < 0.7, fav, second)
    land_page = np.select(
        [land_type == 0, land_type == 1, land_type == 2, land_type == 3],
        [
            PAGE["/"],
            category_page(land_cat),
            product_page(people.focus_product[per]),
            PAGE["/sale"],
        ],
        PAGE["/blog"],
    )
    part(np.ones(n, dtype=bool), S_LANDING, EV["Page Viewed"], page_key=land_page)

    m = rng.random(n) < 0.25
    part(m, S_SEARCH, EV["Products Searched"], page_key=np.full(int(m.sum()), PAGE["/search"]),
         query=(fav * 3 + rng.integers(0, 3, n))[m])  # fmt: skip
    m = rng.random(n) < 0.35
    part(
        m,
        S_LIST,
        EV["Product List Viewed"],
        list_cat=land_cat[m],
        page_key=category_page(land_cat[m]),
    )

    # browsing: product views, some of the person's focus product (browse abandonment)
    k = np.minimum(rng.poisson(np.where(stage == BROWSE, 1.8, 1.0)), 8)
    bs = np.repeat(s_all, k)
    bp = np.where(
        rng.random(bs.shape[0]) < 0.35,
        people.focus_product[per[bs]],
        pick_products(rng, fav[bs], second[bs], catalog),
    )
    parts.append({"session": bs, "slot": np.full(bs.shape[0], S_BROWSE), "sub": repeat_arange(k),
                  "event": np.full(bs.shape[0], EV["Product Viewed"]), "product": bp,
                  "page_key": product_page(bp)})  # fmt: skip

    # cart lines: a view and an add per line
    carting = stage >= CART
    lines = np.where(carting, 1 + np.minimum(rng.poisson(0.5, n), 3), 0)
    lines = np.where(carting & people.high_spender[per], lines + 1, lines)
    ls = np.repeat(s_all, lines)
    lj = repeat_arange(lines)
    lp = pick_products(rng, fav[ls], second[ls], catalog)
    forced = sessions.forced_product[ls]
    lp = np.where((lj == 0) & (forced != NULL), forced, lp)
    lq = weighted_choice(rng, np.array([80.0, 15, 5]), ls.shape[0]) + 1
    lq = np.where(people.high_spender[per[ls]] & (rng.random(ls.shape[0]) < 0.4), lq + 2, lq)
    cart = ids + s_all
    parts.append({"session": ls, "slot": np.full(ls.shape[0], S_LINES), "sub": 2 * lj,
                  "event": np.full(ls.shape[0], EV["Product Viewed"]), "product": lp,
                  "page_key": product_page(lp)})  # fmt: skip
    added_part = len(parts)
    parts.append({"session": ls, "slot": np.full(ls.shape[0], S_LINES), "sub": 2 * lj + 1,
                  "event": np.full(ls.shape[0], EV["Product Added"]), "product": lp,
                  "qty": lq, "cart": cart[ls], "page_key": product_page(lp)})  # fmt: skip

    m = rng.random(n) < 0.06
    wp = np.where(
        rng.random(n) < 0.6, people.focus_product[per], pick_products(rng, fav, second, catalog)
    )
    part(
        m, S_WISHLIST, EV["Product Added to Wishlist"], product=wp[m], page_key=product_page(wp[m])
    )

    # removals: the last line leaves the cart (for a one-line abandoned cart: cart emptied)
    removed = carting & (rng.random(n) < 0.18) & ((stage == CART) | (lines >= 2))
    last_line = np.cumsum(lines) - 1
    m = removed
    part(m, S_REMOVE, EV["Product Removed"], product=lp[last_line[m]], qty=lq[last_line[m]],
         cart=cart[m], page_key=np.full(int(m.sum()), PAGE["/cart"]))  # fmt: skip
    in_cart = lj < (lines - removed)[ls]
    line_in_order = in_cart & (stage[ls] == ORDER)

    m = carting & (rng.random(n) < 0.7)
    part(m, S_CART_PAGE, EV["Page Viewed"], page_key=np.full(int(m.sum()), PAGE["/cart"]))
    checkout = (stage == ORDER) | (carting & (rng.random(n) < 0.35) & (lines > removed))
    part(checkout, S_CHECKOUT, EV["Checkout Started"], cart=cart[checkout],
         page_key=np.full(int(checkout.sum()), PAGE["/checkout"]))  # fmt: skip
    ordering = stage == ORDER
    coupon_p = np.where(people.coupon_heavy[per], 0.85, 0.12)
    coupon = np.where(ordering & (rng.random(n) < coupon_p), rng.integers(0, 5, n), NULL)
    m = coupon != NULL
    order_id = ids + s_all
    part(m, S_COUPON, EV["Coupon Applied"], coupon=coupon[m], cart=cart[m], order=order_id[m],
         page_key=np.full(int(m.sum()), PAGE["/checkout"]))  # fmt: skip
    part(ordering, S_ORDER, EV["Order Completed"], order=order_id[ordering],
         cart=cart[ordering], coupon=coupon[ordering],
         page_key=np.full(int(ordering.sum()), PAGE["/checkout"]))  # fmt: skip

    # other pages: support seekers read faq/contact pages; everyone else wanders
    k = np.minimum(rng.poisson(np.where(people.support_seeker[per], 2.5, 0.6)), 5)
    ps = np.repeat(s_all, k)
    support = people.support_seeker[per[ps]] & (rng.random(ps.shape[0]) < 0.8)
    wander = weighted_choice(rng, np.array([30.0, 15, 15, 10, 8, 8, 14]), ps.shape[0])
    cat_pages = category_page(np.where(rng.random(ps.shape[0]) < 0.6, fav[ps], second[ps]))
    page = np.select(
        [wander == 0, wander == 1, wander == 2, wander == 3, wander == 4, wander == 5],
        [cat_pages, PAGE["/sale"], PAGE["/blog"], PAGE["/about"], PAGE["/faq"], PAGE["/contact"]],
        PAGE["/"],
    )
    page = np.where(
        support, np.where(rng.random(ps.shape[0]) < 0.5, PAGE["/faq"], PAGE["/contact"]), page
    )
    parts.append({"session": ps, "slot": np.full(ps.shape[0], S_PAGES), "sub": repeat_arange(k),
                  "event": np.full(ps.shape[0], EV["Page Viewed"]), "page_key": page})  # fmt: skip

    m = rng.random(n) < np.where(people.reader[per], 0.3, 0.015)
    topic_of = np.array([TOPICS.index(t) for _, t in CONTENT])
    content_by_cat = np.array(
        [next((i for i, (_, t) in enumerate(CONTENT) if t == c), 0) for c in CATEGORIES]
    )
    content = np.where(rng.random(n) < 0.6, content_by_cat[fav], rng.integers(0, len(CONTENT), n))
    part(m, S_CONTENT, EV["Content Downloaded"], content=content[m], topic=topic_of[content[m]],
         page_key=np.full(int(m.sum()), PAGE["/blog"]))  # fmt: skip
    m = rng.random(n) < np.where(people.support_seeker[per], 0.2, 0.006)
    ticket_topic = np.array([TOPICS.index(t) for t in TICKET_TOPICS])
    part(m, S_TICKET, EV["Ticket Created"], ticket=(ids + s_all)[m],
         topic=ticket_topic[rng.integers(0, len(ticket_topic), n)][m],
         page_key=np.full(int(m.sum()), PAGE["/contact"]))  # fmt: skip
    m = rng.random(n) < 0.02
    part(m, S_VIDEO, EV["Video Played"], video=rng.integers(0, len(VIDEOS), n)[m],
         page_key=np.full(int(m.sum()), PAGE["/"]))  # fmt: skip

    added_len = parts[added_part]["session"].shape[0]
    added_first = sum(p["session"].shape[0] for p in parts[:added_part])
    cols = sorted({c for p in parts for c in p})
    rows = concat_frames(parts, cols)
    order = lexsort((rows["sub"], rows["slot"], rows["session"]))
    rows = {c: v[order] for c, v in rows.items()}
    position = np.empty_like(order)
    position[order] = np.arange(order.shape[0])
    line_row = position[added_first + np.arange(added_len)]

    # timestamps: session start plus small gaps (well under the 30-minute session timeout)
    gaps = rng.integers(4, 150, int(order.shape[0]))
    first = group_first(rows["session"])
    gaps[first] = 0
    csum = np.cumsum(gaps)
    start_idx = np.maximum.accumulate(np.where(first, np.arange(gaps.shape[0]), 0))
    rows["ts"] = sessions.start[rows["session"]] + csum - csum[start_idx]
    rows["person"] = per[rows["session"]]
    rows["device"] = sessions.device[rows["session"]]
    rows["channel"] = sessions.channel[rows["session"]]
    rows["campaign"] = sessions.campaign[rows["session"]]
    rows["referrer"] = np.where(first, sessions.referrer[rows["session"]], NULL)
    del rows["slot"], rows["sub"]
    return SessionActivity(
        rows=rows,
        line_session=ls,
        line_product=lp,
        line_qty=lq,
        line_row=line_row,
        line_in_cart=in_cart,
        line_in_order=line_in_order,
    )


__all__ = [
    "N_STATIC",
    "Sessions",
    "add_sessions",
    "identification",
    "replenishment_sessions",
    "schedule_sessions",
    "session_activity",
]
