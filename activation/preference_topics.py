"""Which ESP subscription topic is which Nudge email topic (``seeds/email_topics.csv``), for
ESPs whose preference page keeps topics under their own ids (Braze subscription groups,
Customer.io subscription-center topics). Set per destination in the environment as
``<nudge topic>=<ESP id>`` pairs; a topic left out is not read back.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path

from .errors import ConfigurationError

TOPICS_SEED = Path(__file__).resolve().parents[1] / "seeds" / "email_topics.csv"

# ESP id -> Nudge topic
TopicMap = tuple[tuple[str, str], ...]


@cache
def nudge_topics() -> frozenset[str]:
    with TOPICS_SEED.open(newline="") as handle:
        return frozenset(row["topic"] for row in csv.DictReader(handle))


def topic_map(
    pairs: Iterable[tuple[str, str]],
    variable: str,
    example: str,
    normalize_id: Callable[[str, str], str] | None = None,
) -> TopicMap:
    """(("offers", "<id>"), …), as settings.parse_pairs reads ``variable``, -> ((id,
    "offers"), …); every problem names ``variable`` and what to write instead."""
    known = nudge_topics()
    mapped: list[tuple[str, str]] = []
    for topic, esp_id in pairs:
        if topic not in known:
            raise ConfigurationError(
                f"{variable}: {topic!r} is not a Nudge email topic; use one of "
                f"{', '.join(sorted(known))} (seeds/email_topics.csv), e.g. '{example}'."
            )
        mapped.append(((normalize_id or _same)(esp_id, variable), topic))
    _refuse_repeats(mapped, variable)
    return tuple(mapped)


def _same(esp_id: str, variable: str) -> str:
    return esp_id


def _refuse_repeats(pairs: list[tuple[str, str]], variable: str) -> None:
    for index, (esp_id, topic) in enumerate(pairs):
        for other_id, other_topic in pairs[:index]:
            if topic == other_topic:
                raise ConfigurationError(
                    f"{variable} names the topic {topic!r} twice; give each topic one id."
                )
            if esp_id == other_id:
                raise ConfigurationError(
                    f"{variable} maps the id {esp_id!r} to both {other_topic!r} and "
                    f"{topic!r}; one ESP id is one topic."
                )


def opted_out_topics(
    states: Iterable[tuple[str, bool]], topic_map: Mapping[str, str]
) -> tuple[str, ...]:
    """The Nudge topics of the ESP ids a person is unsubscribed from (``states``: ESP id,
    subscribed); ids that are no Nudge topic are left out."""
    return tuple(
        sorted({topic_map[esp_id] for esp_id, on in states if not on and esp_id in topic_map})
    )
