"""One block of people, simulated and assembled into raw rows (still int64 code columns).

A block is `BLOCK_CONTACTS` consecutive contacts (the last one may be shorter) plus their
share of anonymous-only visitors. Everything random in a block comes from generators
seeded with (seed, block), so a block's rows never depend on the other blocks, on how many
blocks there are, or on the order they are produced in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nudge.generator.catalog import Catalog
from nudge.generator.common import (
    BLOCK_CONTACTS,
    CAMPAIGNS,
    CH,
    DAY,
    HOUR,
    I64,
    MINUTE,
    NULL,
    REFERRERS,
    VISITOR_SHARE,
    group_first,
    splitmix64,
)
from nudge.generator.contacts import People, build_people
from nudge.generator.email import consent_events, email_events
from nudge.generator.frames import Rows, concat_frames, frame_len, lexsort, take
from nudge.generator.identifies import (
    EMAIL_DOUBLE_AT,
    EMAIL_NO_AT,
    build_identifies,
    share_addresses,
)
from nudge.generator.orders import (
    Orders,
    merge_orders,
    price_session_rows,
    refunds_and_reviews,
    store_orders,
)
from nudge.generator.preferences import preference_events
from nudge.generator.sessions import (
    add_sessions,
    identification,
    replenishment_sessions,
    schedule_sessions,
    session_activity,
)

# columns of an assembled events frame (NULL where a column does not apply)
EVENT_COLUMNS = [
    "person",
    "session",
    "device",
    "event",
    "ts",
    "recv",
    "user",
    "anon",
    "channel",
    "server",
    "tz",
    "ua",
    "library",
    "page_key",
    "referrer",
    "campaign",
    "version",
    "query",
    "list_cat",
    "product",
    "price",
    "qty",
    "cart",
    "value",
    "order",
    "total",
    "revenue",
    "discount",
    "coupon",
    "review",
    "rating",
    "content",
    "topic",
    "ticket",
    "video",
    "method",
    "source",
    "reason",
    "email_id",
    "trigger",
    "step",
    "link",
    "bounce",
    "email_topic",
    "subscribed",
    "frequency",
]
IDENTIFY_COLUMNS = [
    "person",
    "user",
    "anon",
    "ts",
    "recv",
    "traits_kind",
    "email_kind",
    "tz",
    "phone",
    "birthday",
    "created_at",
    "first_name",
    "last_name",
    "domain",
    "email_user",
    "retyped",
]

# context.page.referrer: the plain referrers, then each campaign's landing referrer
CAMPAIGN_REFERRER = np.array(
    [len(REFERRERS) + i if c[3] else NULL for i, c in enumerate(CAMPAIGNS)], dtype=np.int64
)
REFERRER_URLS = [*REFERRERS, *(c[3] or "" for c in CAMPAIGNS)]
# user agents: 0-4 browsers, 5 the iOS app, 6 the Android app
N_BROWSERS = 5
# context_library_name (schema drift): analytics.js, analytics-ios, analytics-android,
# pos-connector, esp-webhook
LIB_WEB, LIB_IOS, LIB_ANDROID, LIB_POS, LIB_ESP = range(5)

# stream ids for numpy SeedSequence([seed, stream, block]); preference events have their
# own streams, so adding them left every other row of a block as it was
(
    STREAM_CATALOG,
    STREAM_BLOCK,
    STREAM_CATALOG_BROKEN,
    STREAM_BLOCK_BROKEN,
    STREAM_SHARED,
    STREAM_PREFERENCES,
    STREAM_PREFERENCES_BROKEN,
) = range(7)


def stream(seed: int, kind: int, block: int = 0) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed % 2**64, kind, block]))


def block_bounds(contacts: int) -> list[tuple[int, int]]:
    """(first contact, number of contacts) per block."""
    return [
        (first, min(BLOCK_CONTACTS, contacts - first))
        for first in range(0, contacts, BLOCK_CONTACTS)
    ]


def visitors_before(first_contact: int) -> int:
    return round(VISITOR_SHARE * first_contact)


@dataclass
class BlockRows:
    events: Rows  # sorted by person, time and event (gathered when read)
    preferences: Rows  # Email Preferences Updated rows, over the same base as `events`
    identifies: dict[str, I64]
    lines: dict[str, I64]  # order lines: order, product, qty, price
    invalid_emails: int  # identify rows stating an invalid email


def _received_at(rng: np.random.Generator, rows: dict[str, I64], n_sessions: int, end: int) -> I64:
    """Collector latency: seconds for most rows; offline app sessions land 1-4 days later,
    in-store orders come with the nightly POS upload; nothing lands after `end`."""
    n = frame_len(rows)
    ts = rows["ts"]
    latency = rng.integers(1, 20, n)
    session = rows["session"]
    has_session = session != NULL
    s = np.where(has_session, session, 0)
    offline_session = rng.random(max(n_sessions, 1)) < 0.04
    offline_delay = rng.integers(DAY, 4 * DAY, max(n_sessions, 1))
    offline = has_session & (rows["channel"] == CH["app"]) & offline_session[s]
    latency = np.where(offline, offline_delay[s] + latency, latency)
    nightly = (ts // DAY + 1) * DAY + 2 * HOUR + rng.integers(0, 3 * HOUR, n)
    recv = np.where(rows["channel"] == CH["store"], nightly, ts + latency)
    return np.minimum(recv, end)


def _device_context(people: People, rows: dict[str, I64]) -> None:
    """user agent, library and time zone per row (in place)."""
    person = rows["person"]
    device_row = rows["anon"] != NULL
    h = splitmix64(np.where(device_row, rows["anon"], 0).astype(np.uint64)).view(np.int64)
    android = (h >> 7) & 1
    app = rows["channel"] == CH["app"]
    rows["ua"] = np.where(
        device_row, np.where(app, N_BROWSERS + android, (h & 0xFFFF) % N_BROWSERS), NULL
    )
    channel = rows["channel"]
    rows["library"] = np.select(
        [
            device_row & app,
            device_row,
            channel == CH["store"],
            channel == CH["email"],
        ],
        [LIB_IOS + android, np.full(person.shape[0], LIB_WEB), LIB_POS, LIB_ESP],
        NULL,
    )
    rows["tz"] = np.where(device_row | (channel == CH["store"]), people.tz[person], NULL)


def simulate_block(
    seed: int,
    block: int,
    first_contact: int,
    n_contacts: int,
    catalog: Catalog,
    start: int,
    end: int,
) -> BlockRows:
    rng = stream(seed, STREAM_BLOCK, block)
    first_visitor = visitors_before(first_contact)
    n_visitors = visitors_before(first_contact + n_contacts) - first_visitor
    people = build_people(
        rng,
        block,
        first_contact,
        n_contacts,
        first_visitor,
        n_visitors,
        start,
        end,
        catalog.cat_start,
        catalog.cat_count,
    )
    sessions = schedule_sessions(rng, people, end)
    t_ident, ident_dev = identification(people, sessions)
    rp, rt, rprod = replenishment_sessions(rng, people, t_ident, catalog, end)
    sessions = add_sessions(rng, people, sessions, rp, rt, rprod)
    activity = session_activity(rng, people, sessions, catalog, block)
    web_orders = price_session_rows(activity, catalog, sessions.n, block)
    store_rows, store = store_orders(rng, people, t_ident, catalog, block, sessions.n, end)
    orders: Orders = merge_orders(web_orders, store)
    after_orders = refunds_and_reviews(rng, orders, block, 0, end)
    consent_rows, granted, ended, welcome = consent_events(rng, people, t_ident, ident_dev, end)
    activity.rows["referrer"] = np.where(
        (activity.rows["referrer"] == NULL) & (activity.rows["campaign"] != NULL),
        # the campaign's referrer on the session's first row only
        np.where(
            group_first(activity.rows["session"]),
            CAMPAIGN_REFERRER[np.maximum(activity.rows["campaign"], 0)],
            NULL,
        ),
        activity.rows["referrer"],
    )

    # identity first on the rows from devices (what identify calls are made for), then mail
    parts = [activity.rows, store_rows, after_orders, consent_rows]
    for part in parts:
        _identify_rows(people, t_ident, part)
    device_rows = concat_frames(
        [part for part in parts if "device" in part], ["person", "device", "ts", "user", "anon"]
    )
    identifies, no_email = build_identifies(
        rng, people.user, people.existing, people.tz, people.anon_base, device_rows, start, end
    )
    mail = email_events(rng, people, granted, ended, welcome, no_email, start, end, block)
    _identify_rows(people, t_ident, mail)
    pref_rng = stream(seed, STREAM_PREFERENCES, block)
    prefs = preference_events(pref_rng, people, granted, ended, no_email, mail, end)
    _identify_rows(people, t_ident, prefs)
    rows = concat_frames([*parts, mail, prefs], EVENT_COLUMNS)
    # preference rows last: the others (`main`, views) get their draws and order as before
    n_main = frame_len(rows) - frame_len(prefs)
    main = {name: column[:n_main] for name, column in rows.items()}

    rows["recv"] = np.concatenate(
        [
            _received_at(rng, main, sessions.n, end),
            np.minimum(prefs["ts"] + pref_rng.integers(1, 20, frame_len(prefs)), end),
        ]
    )
    _device_context(people, rows)
    order = lexsort((main["event"], main["ts"], main["person"]))
    order = order[main["ts"][order] <= end - MINUTE]  # (drops nothing: a safety net)

    ident = concat_frames([identifies], IDENTIFY_COLUMNS)
    ident["recv"] = np.minimum(ident["ts"] + rng.integers(1, 10, frame_len(ident)), end)
    # the address (and name) each identify states: a guest checkout states its account's
    p, ident["retyped"] = share_addresses(stream(seed, STREAM_SHARED, block), ident)
    ident["first_name"] = people.first_name[p]
    ident["last_name"] = people.last_name[p]
    ident["domain"] = people.domain[p]
    ident["email_user"] = people.user[p]
    ident = take(ident, lexsort((ident["ts"], ident["person"])))
    invalid = int(np.isin(ident["email_kind"], [EMAIL_DOUBLE_AT, EMAIL_NO_AT]).sum())

    lines = {
        "order": orders.line_order,
        "product": orders.line_product,
        "qty": orders.line_qty,
        "price": orders.line_price,
    }
    return BlockRows(
        events=Rows(rows, order),
        preferences=Rows(rows, np.arange(n_main, frame_len(rows), dtype=np.int64)),
        identifies=ident,
        lines=lines,
        invalid_emails=invalid,
    )


def _identify_rows(people: People, t_ident: I64, rows: dict[str, I64]) -> None:
    """user_id / anonymous_id per row (in place). Server-side rows carry the user_id only;
    device rows carry the device's anonymous_id, plus the user_id from the moment the
    person identified (anonymous browsing before it is stitched downstream)."""
    person = rows["person"]
    server = rows["server"] == 1 if "server" in rows else np.zeros(person.shape[0], dtype=bool)
    user = people.user[person]
    ident_at = t_ident[person]
    identified = (user != NULL) & (ident_at != NULL) & (rows["ts"] >= ident_at)
    rows["user"] = np.where(server | identified, user, NULL)
    if "device" in rows:
        rows["anon"] = np.where(server, NULL, people.anon_base[person] + rows["device"])
    else:
        rows["anon"] = np.full(person.shape[0], NULL, dtype=np.int64)


__all__ = [
    "EVENT_COLUMNS",
    "IDENTIFY_COLUMNS",
    "BlockRows",
    "block_bounds",
    "simulate_block",
    "stream",
]
