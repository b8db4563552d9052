"""Identify calls: who each contact is, and which devices belong to them (stitching)."""

from __future__ import annotations

import numpy as np

from nudge.generator.common import DAY, HOUR, I64, NULL, B, group_first
from nudge.generator.frames import lexsort

# email_kind codes (the writer turns them into the email trait)
EMAIL_VALID, EMAIL_DOUBLE_AT, EMAIL_NO_AT, EMAIL_CHANGED, EMAIL_NONE = range(5)
# traits_kind codes
TRAITS_FULL, TRAITS_LINK, TRAITS_NONE, TRAITS_EMAIL = range(4)
INVALID_EMAIL_SHARE = 0.005
# contacts who are another contact's guest checkout: their identify calls state that
# contact's address typed otherwise (case, spaces), so two contact ids share one address
SHARED_ADDRESS_SHARE = 0.01


def build_identifies(
    rng: np.random.Generator,
    people_user: I64,
    people_existing: B,
    people_tz: I64,
    anon_base: I64,
    rows: dict[str, I64],
    start: int,
    end: int,
) -> tuple[dict[str, I64], B]:
    """One identify per (contact, device) just before that device's first identified event,
    the first one carrying the full traits, the others (links) the current email and time
    zone or no traits at all; some later email changes. Returns the rows and, per person,
    whether they end up with no usable email."""
    n = people_user.shape[0]
    known = (rows["user"] != NULL) & (rows["anon"] != NULL)
    person, device, ts = rows["person"][known], rows["device"][known], rows["ts"][known]
    order = lexsort((ts, device, person))
    person, device, ts = person[order], device[order], ts[order]
    firsts = group_first(person * 8 + device)
    person, device, ts = person[firsts], device[firsts], ts[firsts] - 1
    order = lexsort((ts, person))
    person, device, ts = person[order], device[order], ts[order]
    primary = group_first(person)
    k = person.shape[0]
    kind = np.where(primary, TRAITS_FULL, np.where(rng.random(k) < 0.12, TRAITS_NONE, TRAITS_LINK))

    first_ts = np.full(n, NULL, dtype=np.int64)
    first_ts[person[primary]] = ts[primary]
    changers = np.flatnonzero((first_ts != NULL) & (rng.random(n) < 0.03))
    lo = first_ts[changers] + DAY
    c_ts = lo + (rng.random(changers.shape[0]) * np.maximum(end - HOUR - lo, 0)).astype(np.int64)
    ok = c_ts < end - HOUR
    changers, c_ts = changers[ok], c_ts[ok]

    total = k + changers.shape[0]
    n_primary = int(primary.sum())
    p_invalid = min(1.0, INVALID_EMAIL_SHARE * total / max(n_primary, 1))
    invalid = primary & (rng.random(k) < p_invalid)
    if n_primary >= 20 and not invalid.any():  # every block shows the case
        invalid[np.flatnonzero(primary)[rng.integers(0, n_primary)]] = True
    first_kind = np.where(
        invalid, np.where(rng.random(k) < 0.5, EMAIL_DOUBLE_AT, EMAIL_NO_AT), EMAIL_VALID
    )
    # a link identify (another device) restates the email current at that moment: the
    # primary one, or the new one after an email change
    person_kind = np.full(n, EMAIL_NONE, dtype=np.int64)
    person_kind[person[primary]] = first_kind[primary]
    changed_at = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    changed_at[changers] = c_ts
    current = np.where(ts >= changed_at[person], EMAIL_CHANGED, person_kind[person])
    email_kind = np.where(primary, first_kind, np.where(kind == TRAITS_LINK, current, EMAIL_NONE))
    no_email = np.zeros(n, dtype=bool)
    no_email[person[invalid]] = True
    no_email[changers] = False

    created = np.where(
        people_existing[person],
        start - rng.integers(30 * DAY, 1500 * DAY, k),
        ts,
    )
    birthday_days = np.where(
        rng.random(k) < 0.85, rng.integers(-20 * 365, 35 * 365, k), NULL
    )  # days since 1970-01-01
    out = {
        "person": np.concatenate([person, changers]),
        "user": np.concatenate([people_user[person], people_user[changers]]),
        "anon": np.concatenate([anon_base[person] + device, np.full(changers.shape[0], NULL)]),
        "ts": np.concatenate([ts, c_ts]),
        "traits_kind": np.concatenate([kind, np.full(changers.shape[0], TRAITS_EMAIL)]),
        "email_kind": np.concatenate([email_kind, np.full(changers.shape[0], EMAIL_CHANGED)]),
        "tz": np.concatenate(
            [
                np.where(rng.random(k) < 0.9, people_tz[person], NULL),
                np.full(changers.shape[0], NULL),
            ]
        ),
        "phone": np.concatenate(
            [
                np.where(rng.random(k) < 0.75, rng.integers(2_000_000, 9_999_999, k), NULL),
                np.full(changers.shape[0], NULL),
            ]
        ),
        "birthday": np.concatenate([birthday_days, np.full(changers.shape[0], NULL)]),
        "created_at": np.concatenate([created, np.full(changers.shape[0], NULL)]),
    }
    return out, no_email


def share_addresses(rng: np.random.Generator, ident: dict[str, I64]) -> tuple[I64, I64]:
    """Make a few people the guest checkout of another person of the block, as real shops
    have: every identify call of the guest states the other person's address, upper-cased
    and padded with spaces (downstream, lower(trim()) makes them one address). Only people
    whose address is valid and never changes take part. Returns, per identify row, the
    person whose address (and name) it states, and 1 where it is typed otherwise."""
    person, kind = ident["person"], ident["email_kind"]
    primary_valid = (ident["traits_kind"] == TRAITS_FULL) & (kind == EMAIL_VALID)
    unstable = np.unique(person[(kind != EMAIL_VALID) & (kind != EMAIL_NONE)])
    eligible = np.setdiff1d(np.unique(person[primary_valid]), unstable)
    n_guests = round(SHARED_ADDRESS_SHARE * eligible.shape[0])
    if eligible.shape[0] >= 20:  # every block shows the case
        n_guests = max(n_guests, 1)
    owner = np.arange(int(person.max(initial=-1)) + 1, dtype=np.int64)
    if n_guests == 0 or eligible.shape[0] < 2 * n_guests:
        return owner[person], np.zeros(person.shape[0], dtype=np.int64)
    picked = rng.choice(eligible, 2 * n_guests, replace=False)
    guests, hosts = picked[:n_guests], picked[n_guests:]
    owner[guests] = hosts
    return owner[person], np.isin(person, guests).astype(np.int64)
