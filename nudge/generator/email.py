"""Marketing consent (Signed Up / Subscribed / Unsubscribed) and historic email engagement."""

from __future__ import annotations

import numpy as np

from nudge.generator.common import (
    CH,
    DAY,
    EV,
    HOUR,
    I64,
    MINUTE,
    NULL,
    SOURCES,
    TRIGGER_KEYS,
    UNSUB_REASONS,
    B,
    group_first,
    repeat_arange,
    weighted_choice,
)
from nudge.generator.contacts import People
from nudge.generator.frames import lexsort
from nudge.generator.sessions import ID_SPACE

CAMPAIGN_EVERY = 7 * DAY
WELCOME_DELAYS = np.array([5 * MINUTE, 2 * DAY, 5 * DAY], dtype=np.int64)


def campaign_times(start: int, end: int) -> I64:
    """Newsletter send times: weekly at 15:00 UTC, the same for every block."""
    first = (start // DAY + 2) * DAY + 15 * HOUR
    return np.arange(first, end - HOUR, CAMPAIGN_EVERY, dtype=np.int64)


def consent_events(
    rng: np.random.Generator, people: People, t_ident: I64, ident_dev: I64, end: int
) -> tuple[dict[str, I64], I64, I64, B]:
    """Consent rows plus, per person, the consent interval [granted, ended) (NULL = none)."""
    n = people.n
    contact = t_ident != NULL
    limit = end - HOUR
    new = contact & ~people.existing
    method = weighted_choice(rng, np.array([40.0, 40, 20]), n)  # newsletter, account, checkout
    signup_ts = t_ident + 20
    signup = new & (signup_ts <= limit)

    sub_delay = np.where(rng.random(n) < 0.5, 45, rng.integers(DAY, 60 * DAY, n))
    subscribes = (
        contact & ~(signup & (method == 0)) & (rng.random(n) < np.where(people.existing, 0.8, 0.6))
    )
    sub_ts = np.where(people.existing, t_ident + 40, t_ident + sub_delay)
    subscribes &= sub_ts <= limit
    granted = np.where(signup & (method == 0), signup_ts, np.where(subscribes, sub_ts, NULL))
    welcome = (signup & (method == 0)) | (subscribes & new)

    unsub_ts = granted + (rng.exponential(100 * DAY, n)).astype(np.int64) + DAY
    unsub = (granted != NULL) & (rng.random(n) < 0.12) & (unsub_ts <= limit)
    ended = np.where(unsub, unsub_ts, NULL)
    unsub_source = weighted_choice(
        rng, np.array([60.0, 30, 10]), n
    )  # esp, preference_center, support
    source_code = np.array(
        [SOURCES.index("esp"), SOURCES.index("preference_center"), SOURCES.index("support")]
    )

    si, bi, ui = np.flatnonzero(signup), np.flatnonzero(subscribes), np.flatnonzero(unsub)
    sub_source = rng.integers(0, 4, bi.shape[0])  # footer_form, popup, checkout, preference_center
    rows = {
        "person": np.concatenate([si, bi, ui]),
        "ts": np.concatenate([signup_ts[si], sub_ts[bi], unsub_ts[ui]]),
        "event": np.concatenate(
            [
                np.full(si.shape[0], EV["Signed Up"]),
                np.full(bi.shape[0], EV["Subscribed"]),
                np.full(ui.shape[0], EV["Unsubscribed"]),
            ]
        ),
        "channel": np.concatenate(
            [
                np.full(si.shape[0], CH["web"]),
                np.full(bi.shape[0], CH["web"]),
                np.where(unsub_source[ui] == 0, CH["email"], CH["web"]),
            ]
        ),
        # sign-ups happen on the identifying device; the rest come from the backend
        "server": np.concatenate(
            [np.zeros(si.shape[0]), np.ones(bi.shape[0] + ui.shape[0])]
        ).astype(np.int64),
        "device": np.concatenate([ident_dev[si], np.full(bi.shape[0] + ui.shape[0], NULL)]),
        "method": np.concatenate([method[si], np.full(bi.shape[0] + ui.shape[0], NULL)]),
        "source": np.concatenate(
            [np.full(si.shape[0], NULL), sub_source, source_code[unsub_source[ui]]]
        ),
        "reason": np.concatenate(
            [
                np.full(si.shape[0] + bi.shape[0], NULL),
                rng.integers(0, len(UNSUB_REASONS), ui.shape[0]),
            ]
        ),
    }
    return rows, granted, ended, welcome


def email_events(
    rng: np.random.Generator,
    people: People,
    granted: I64,
    ended: I64,
    welcome: B,
    no_email: B,
    start: int,
    end: int,
    block: int,
) -> dict[str, I64]:
    """Deliveries of newsletters and the welcome series, then opens, clicks, bounces, spam."""
    n = people.n
    subscribed = (granted != NULL) & ~no_email
    stop = np.where(ended != NULL, ended, end - 10 * MINUTE)
    campaigns = campaign_times(start, end)

    # newsletter deliveries: the campaigns inside each consent interval
    first = np.searchsorted(campaigns, granted, side="left")
    last = np.searchsorted(campaigns, stop, side="left")
    count = np.where(subscribed, np.maximum(last - first, 0), 0)
    person = np.repeat(np.arange(n), count)
    ts = campaigns[np.repeat(first, count) + repeat_arange(count)] + rng.integers(
        0, 20 * MINUTE, person.shape[0]
    )
    got = rng.random(person.shape[0]) < 0.9
    person, ts = person[got], ts[got]
    trigger = np.zeros(person.shape[0], dtype=np.int64)
    step = np.ones(person.shape[0], dtype=np.int64)

    # the welcome series after sign-up with consent
    wp = np.repeat(np.flatnonzero(subscribed & welcome), 3)
    w_step = np.tile(np.arange(3), wp.shape[0] // 3)
    w_ts = granted[wp] + WELCOME_DELAYS[w_step]
    ok = w_ts < stop[wp]
    person = np.concatenate([person, wp[ok]])
    ts = np.concatenate([ts, w_ts[ok]])
    trigger = np.concatenate([trigger, np.full(int(ok.sum()), TRIGGER_KEYS.index("welcome"))])
    step = np.concatenate([step, w_step[ok] + 1])
    order = lexsort((ts, person))
    person, ts, trigger, step = person[order], ts[order], trigger[order], step[order]
    d = person.shape[0]
    email_id = block * ID_SPACE + np.arange(d, dtype=np.int64)

    # a hard bounce or a spam complaint ends each affected subscriber's deliveries
    per_count = np.bincount(person, minlength=n)
    starts = np.flatnonzero(group_first(person)) if d else np.empty(0, np.int64)
    rank = (
        np.arange(d) - np.repeat(starts, per_count[person[starts]]) if d else np.empty(0, np.int64)
    )
    fate = weighted_choice(rng, np.array([98.3, 1.2, 0.5]), n)  # fine, hard bounce, spam
    # every block shows both outcomes (small samples would often miss the rare spam case)
    for outcome in (1, 2):
        fine = np.flatnonzero((per_count > 0) & (fate == 0))
        if fine.shape[0] and not ((per_count > 0) & (fate == outcome)).any():
            fate[fine[rng.integers(0, fine.shape[0])]] = outcome
    cut = (rng.random(n) * per_count).astype(np.int64)
    cut = np.where(fate == 0, np.iinfo(np.int64).max, cut)
    keep = rank <= cut[person]
    person, ts, trigger, step, email_id, rank = (
        a[keep] for a in (person, ts, trigger, step, email_id, rank)
    )
    at_cut = rank == cut[person]
    hard = at_cut & (fate[person] == 1)
    spam = at_cut & (fate[person] == 2)
    soft = ~hard & ~spam & (rng.random(person.shape[0]) < 0.02)
    delivered = ~hard & ~soft

    # engagement: archetypes, fading after the person stops being active
    archetype = weighted_choice(
        rng, np.array([45.0, 35, 12, 8]), n
    )  # engaged, casual, cold, no-click
    p_open = np.choose(
        archetype, [rng.beta(5, 5, n), rng.beta(2, 12, n), np.zeros(n), rng.uniform(0.5, 0.8, n)]
    )
    p_click = np.choose(archetype, [np.full(n, 0.3), np.full(n, 0.15), np.zeros(n), np.zeros(n)])
    active = ts <= people.active_end[person] + 20 * DAY
    p = np.where(active, p_open[person], p_open[person] * 0.03)
    opened = (delivered & (rng.random(person.shape[0]) < p)) | spam
    open_ts = (
        ts + np.minimum(rng.exponential(4 * HOUR, person.shape[0]).astype(np.int64), 3 * DAY) + 30
    )
    opened &= open_ts <= end
    clicked = opened & ~spam & (rng.random(person.shape[0]) < p_click[person])
    click_ts = open_ts + rng.integers(5, 600, person.shape[0])
    clicked &= click_ts <= end
    spam_ts = open_ts + rng.integers(5, 120, person.shape[0])
    spam &= spam_ts <= end

    di = np.arange(person.shape[0])
    oi, ci, bi, xi = (
        np.flatnonzero(opened),
        np.flatnonzero(clicked),
        np.flatnonzero(~delivered),
        np.flatnonzero(spam),
    )
    idx = np.concatenate([di[delivered], bi, oi, ci, xi])
    event = np.concatenate(
        [
            np.full(int(delivered.sum()), EV["Email Delivered"]),
            np.full(bi.shape[0], EV["Email Bounced"]),
            np.full(oi.shape[0], EV["Email Opened"]),
            np.full(ci.shape[0], EV["Email Link Clicked"]),
            np.full(xi.shape[0], EV["Email Marked as Spam"]),
        ]
    )
    when = np.concatenate([ts[delivered], ts[bi], open_ts[oi], click_ts[ci], spam_ts[xi]])
    bounce = np.concatenate(
        [
            np.full(int(delivered.sum()), NULL),
            np.where(hard[bi], 0, 1),
            np.full(oi.shape[0] + ci.shape[0] + xi.shape[0], NULL),
        ]
    )
    link = np.where(event == EV["Email Link Clicked"], people.fav_cat[person[idx]], NULL)
    return {
        "person": person[idx],
        "ts": when,
        "event": event,
        "channel": np.full(idx.shape[0], CH["email"]),
        "server": np.ones(idx.shape[0], dtype=np.int64),
        "email_id": email_id[idx],
        "trigger": trigger[idx],
        "step": step[idx],
        "link": link,
        "bounce": bounce,
    }
