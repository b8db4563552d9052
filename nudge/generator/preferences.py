"""Email Preferences Updated: the few subscribers who visit a preference page.

About 3% of the contacts with marketing consent and a usable address open a preference page
once while subscribed (the shop's preference center, the ESP's page, or through support):
most opt out of one topic (mostly offers or recommendations), some of a second one in the
same save (one event per topic), others choose a weekly or monthly frequency, some both in
one event. A quarter of them come back later and undo it: the topic subscribed again, the
frequency back to all. Like the other email events they carry the contact's user_id only;
the channel is web for the shop's preference center (a visit to the site, so site activity
downstream) and email for the ESP's page or a request to support (neither is a site visit).
"""

from __future__ import annotations

import numpy as np

from nudge.generator.common import (
    BOUNCE_TYPES,
    CH,
    DAY,
    EMAIL_TOPICS,
    EV,
    FREQUENCIES,
    HOUR,
    I64,
    NULL,
    SOURCES,
    TZ_OFFSET,
    B,
    at_local_hour,
    weighted_choice,
)
from nudge.generator.contacts import People
from nudge.generator.frames import concat_frames, lexsort, take

VISIT_SHARE = 0.03
UNDO_SHARE = 0.25
SECOND_TOPIC_SHARE = 0.2
# what a visit changes: a topic, the frequency, or both in one event
TOPIC_ONLY, FREQUENCY_ONLY, TOPIC_AND_FREQUENCY = range(3)
CHANGE_WEIGHTS = np.array([50.0, 35, 15])
# the topic opted out of (notices about the subscription itself are kept)
OPT_OUT_WEIGHTS = {"offers": 45.0, "recommendations": 35.0, "reminders": 10.0, "feedback": 10.0}
TOPIC_WEIGHTS = np.array([OPT_OUT_WEIGHTS.get(topic, 0.0) for topic in EMAIL_TOPICS])
WEEKLY, MONTHLY, ALL = (FREQUENCIES.index(f) for f in ("weekly", "monthly", "all"))
SOURCE_CODES = np.array([SOURCES.index(s) for s in ("preference_center", "esp", "support")])
SOURCE_WEIGHTS = np.array([60.0, 35, 5])
PREFERENCE_CENTER = 0  # index into SOURCE_CODES: the shop's own page, a visit to the site
UNSUBSCRIBED, SUBSCRIBED = 0, 1  # codes of the writer's `subscribed` texts
PREFERENCE_COLUMNS = [
    "person", "ts", "event", "email_topic", "subscribed", "frequency", "source", "channel",
    "server",
]  # fmt: skip


def _visit_times(rng: np.random.Generator, lo: I64, hi: I64, offset: I64) -> I64:
    """A moment in [lo, hi), at a local hour people are active when that day allows it."""
    at = lo + (rng.random(lo.shape[0]) * (hi - lo)).astype(np.int64)
    local = at_local_hour(rng, (at + offset) // DAY, offset)
    return np.where((local >= lo) & (local < hi), local, at)


def _consent_lost(n: int, mail: dict[str, I64]) -> I64:
    """Per person, the first spam complaint or hard bounce (NULL if none): it ends consent."""
    lost = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    ending = (mail["event"] == EV["Email Marked as Spam"]) | (
        (mail["event"] == EV["Email Bounced"]) & (mail["bounce"] == BOUNCE_TYPES.index("hard"))
    )
    np.minimum.at(lost, mail["person"][ending], mail["ts"][ending])
    return np.where(lost == np.iinfo(np.int64).max, NULL, lost)


def preference_events(
    rng: np.random.Generator,
    people: People,
    granted: I64,
    ended: I64,
    no_email: B,
    mail: dict[str, I64],
    end: int,
) -> dict[str, I64]:
    """Preference rows (sorted by person and time) of the people while they consent to
    email: from `granted` until `ended` (an unsubscribe) or a spam complaint or hard bounce
    in their `mail` events."""
    lost = _consent_lost(people.n, mail)
    stop = np.where(ended != NULL, ended, end - HOUR)
    stop = np.where((lost != NULL) & (lost < stop), lost, stop)
    eligible = (granted != NULL) & ~no_email & (stop - granted > 2 * DAY)
    visits = eligible & (rng.random(people.n) < VISIT_SHARE)
    pool = np.flatnonzero(eligible)
    if pool.shape[0] and not visits.any():  # every block shows the case
        visits[pool[rng.integers(0, pool.shape[0])]] = True
    v = np.flatnonzero(visits)
    k = v.shape[0]
    change = weighted_choice(rng, CHANGE_WEIGHTS, k)
    topic = weighted_choice(rng, TOPIC_WEIGHTS, k)
    second = weighted_choice(rng, TOPIC_WEIGHTS, k)
    frequency = np.where(rng.random(k) < 0.6, WEEKLY, MONTHLY)
    source = weighted_choice(rng, SOURCE_WEIGHTS, k)
    lo, hi = granted[v] + DAY, stop[v] - HOUR
    ts = _visit_times(rng, lo, hi, TZ_OFFSET[people.tz[v]])
    undo_ts = ts + 7 * DAY + rng.exponential(30 * DAY, k).astype(np.int64)
    undo = (rng.random(k) < UNDO_SHARE) & (undo_ts < hi)
    undo_source = weighted_choice(rng, SOURCE_WEIGHTS, k)

    sets_topic, sets_frequency = change != FREQUENCY_ONLY, change != TOPIC_ONLY
    topic = np.where(sets_topic, topic, NULL)
    two = sets_topic & (second != topic) & (rng.random(k) < SECOND_TOPIC_SHARE)
    rows = concat_frames(
        [
            # the visit: one event, and one more for a second topic saved with it
            _saved(v, ts, topic, UNSUBSCRIBED, np.where(sets_frequency, frequency, NULL), source),
            _saved(v[two], ts[two], second[two], UNSUBSCRIBED, NULL, source[two]),
            # coming back: the topic subscribed again, the frequency back to all
            _saved(
                v[undo],
                undo_ts[undo],
                topic[undo],
                SUBSCRIBED,
                np.where(sets_frequency[undo], ALL, NULL),
                undo_source[undo],
            ),
        ],
        PREFERENCE_COLUMNS,
    )
    return take(rows, lexsort((rows["ts"], rows["person"])))


def _saved(
    person: I64, ts: I64, topic: I64, subscribed: int, frequency: I64 | int, source: I64
) -> dict[str, I64]:
    """One event per person: `topic` set to `subscribed` (none where topic is NULL) and
    `frequency` (none where NULL), saved from `source` (an index into SOURCE_CODES)."""
    n = person.shape[0]
    return {
        "person": person,
        "ts": ts,
        "event": np.full(n, EV["Email Preferences Updated"]),
        "email_topic": topic,
        "subscribed": np.where(topic != NULL, subscribed, NULL),
        "frequency": np.broadcast_to(np.asarray(frequency, dtype=np.int64), (n,)),
        "source": SOURCE_CODES[source],
        "channel": np.where(source == PREFERENCE_CENTER, CH["web"], CH["email"]),
        "server": np.ones(n, dtype=np.int64),
    }
