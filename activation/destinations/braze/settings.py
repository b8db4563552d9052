"""Braze's settings from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from ...errors import ConfigurationError
from ...preference_topics import TopicMap
from ...ratelimit import Window
from ...settings import (
    DestinationSettings,
    EspOptions,
    esp_settings,
    http_url,
    options_of,
    parse_pairs,
    parse_rate,
    preference_topics,
    required,
)

BRAZE_TRACK_RATE_DEFAULT = "50000/60s"  # (conflicting) 3,000 / 3 s elsewhere: the stricter one
BRAZE_TRACK_OBJECTS_DEFAULT = 75  # (conflicting) 75 of each kind, or 75 in total
# a transactional send's external_send_id is de-duplicated for 24 h (Braze's contract)
TRANSACTIONAL_DEDUPLICATION_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class BrazeEnvOptions(EspOptions):
    """``BRAZE_TRACK_RATE``, ``BRAZE_TRACK_OBJECTS``, ``BRAZE_TRANSACTIONAL_CAMPAIGNS``,
    ``BRAZE_PREFERENCE_GROUPS``."""

    write_rate: Window | None = None
    objects_per_request: int | None = None
    # metric -> transactional campaign id: those events are sent through it, with the send
    # key as external_send_id (de-duplicated by Braze for TRANSACTIONAL_DEDUPLICATION_WINDOW)
    campaigns: tuple[tuple[str, str], ...] = ()
    # subscription group id -> Nudge email topic, for the preference read-back (empty: none)
    preference_topics: TopicMap = ()


def braze_settings(
    env: Mapping[str, str] | None = None, **overrides: object
) -> DestinationSettings:
    """Braze from ``BRAZE_BASE_URL`` (your instance's REST endpoint) and ``BRAZE_API_KEY``;
    ``BRAZE_TRACK_RATE`` (default 50000/60s), ``BRAZE_TRACK_OBJECTS`` (default 75) and
    ``BRAZE_TRANSACTIONAL_CAMPAIGNS`` (``<metric>=<campaign id>,…``, default none);
    ``BRAZE_PREFERENCE_GROUPS`` (``<nudge topic>=<subscription group id>,…``): the email
    subscription group of each Nudge topic, whose unsubscribes are read back."""
    env = os.environ if env is None else env
    base = required(
        env,
        "BRAZE_BASE_URL",
        "Export your Braze instance's REST endpoint (e.g. "
        "export BRAZE_BASE_URL=https://rest.iad-01.braze.com) or a local contract server.",
    )
    key = required(env, "BRAZE_API_KEY", "Export a Braze REST API key (export BRAZE_API_KEY=...).")
    objects = env.get("BRAZE_TRACK_OBJECTS", "").strip() or str(BRAZE_TRACK_OBJECTS_DEFAULT)
    if not objects.isdigit() or not 1 <= int(objects) <= BRAZE_TRACK_OBJECTS_DEFAULT:
        raise ConfigurationError(
            f"BRAZE_TRACK_OBJECTS must be a whole number from 1 to 75, got {objects!r}."
        )
    options = BrazeEnvOptions(
        write_rate=parse_rate(
            env.get("BRAZE_TRACK_RATE", "").strip() or BRAZE_TRACK_RATE_DEFAULT,
            "BRAZE_TRACK_RATE",
        ),
        objects_per_request=int(objects),
        campaigns=parse_pairs(
            env.get("BRAZE_TRANSACTIONAL_CAMPAIGNS", ""), "BRAZE_TRANSACTIONAL_CAMPAIGNS"
        ),
        preference_topics=preference_topics(
            env,
            "BRAZE_PREFERENCE_GROUPS",
            "offers=<subscription group id>,reminders=<subscription group id>",
        ),
    )
    return esp_settings("braze", http_url(env, "BRAZE_BASE_URL", base), key, options, overrides)


def transactional_events(settings: DestinationSettings) -> bool:
    """Whether events go through transactional campaigns (``BRAZE_TRANSACTIONAL_CAMPAIGNS``
    names some), which Braze de-duplicates by ``external_send_id``; the custom events sent
    otherwise are not de-duplicated."""
    return bool(options_of(settings, BrazeEnvOptions).campaigns)


# every variable braze_settings reads, set (its URLs are every host it calls)
EXAMPLE_ENV = {
    "BRAZE_BASE_URL": "https://rest.iad-01.braze.com",
    "BRAZE_API_KEY": "example-rest-key",
    "BRAZE_PREFERENCE_GROUPS": "offers=example-group-id",
}
