"""Simulated email engagement, the one model every ESP sandbox uses: each send (a tracked
event that starts a flow, a campaign or a journey sending one email) is received, opened,
clicked, bounced, unsubscribed from or marked as spam, named as Klaviyo's metrics name
these (Received Email, Opened Email, Clicked Email, Bounced Email, Unsubscribed, Marked
Email as Spam); each sandbox records them in its vendor's own shape.

Deterministic: each send's outcome and timing come from a hash of (seed, the tracked
event's ``unique_id`` or profile/metric/time), not from arrival order, so the same sends
give the same engagement in any order and on every ESP. Rates are configurable, and
``effects`` multiply them per variant (the tracked event's ``variant`` property), per
trigger (its ``trigger_key``) or per tracked metric, so a measurement test can plant a
known effect:

    EngagementConfig(seed=7, open_rate=0.4, effects={"variant:B": {"click_rate": 1.5}})
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

RECEIVED = "Received Email"
OPENED = "Opened Email"
CLICKED = "Clicked Email"
BOUNCED = "Bounced Email"
UNSUBSCRIBED = "Unsubscribed"
SPAM = "Marked Email as Spam"
ENGAGEMENT_METRICS = (RECEIVED, OPENED, CLICKED, BOUNCED, UNSUBSCRIBED, SPAM)
RATES = ("bounce_rate", "open_rate", "click_rate", "unsubscribe_rate", "spam_rate")
# what identifies the send, echoed on its engagement (the models attribute engagement by it)
ECHOED_PROPERTIES = ("send_key", "trigger_key", "step", "series_id", "variant")
# (shortest, longest) delay in seconds, before time_scale: delivery after the send, open
# after delivery, click and unsubscribe after the open, spam complaint after delivery
DELIVERY_DELAY = (1, 60)
OPEN_DELAY = (60, 4 * 3600)
AFTER_OPEN_DELAY = (5, 900)
SPAM_DELAY = (60, 24 * 3600)
# segment entries and exits (models/marts/syncs/sync_segment_events.sql) are signals, not
# sends: no simulated flow listens to them, as none does in an account until a marketer
# builds one
SIGNAL_METRIC_PREFIXES = ("Entered segment: ", "Exited segment: ")


@dataclass
class EngagementConfig:
    """Rates: ``bounce_rate`` of sends; ``open_rate``, ``unsubscribe_rate`` and
    ``spam_rate`` of delivered emails; ``click_rate`` of opened ones. ``effects`` maps
    ``variant:<value>``, ``trigger:<trigger_key>`` or ``metric:<tracked metric>`` to rate
    multipliers (all that match apply). ``send_metrics``
    limits which tracked metrics count as sends (None: every metric that is not itself an
    engagement metric or a signal, ``signal_prefixes``). ``time_scale`` multiplies every
    delay (0: all at the send time)."""

    enabled: bool = True
    seed: int = 0
    bounce_rate: float = 0.02
    open_rate: float = 0.45
    click_rate: float = 0.2
    unsubscribe_rate: float = 0.005
    spam_rate: float = 0.001
    effects: dict[str, dict[str, float]] = field(default_factory=dict)
    send_metrics: list[str] | None = None
    signal_prefixes: list[str] = field(default_factory=lambda: list(SIGNAL_METRIC_PREFIXES))
    variant_property: str = "variant"
    time_scale: float = 1.0

    def __post_init__(self) -> None:
        for name in RATES:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        for key, multipliers in self.effects.items():
            if not key.startswith(("variant:", "trigger:", "metric:")):
                raise ValueError(
                    f"effect keys are 'variant:<v>', 'trigger:<t>' or 'metric:<m>', got {key!r}"
                )
            unknown = set(multipliers) - set(RATES)
            if unknown:
                raise ValueError(f"effect {key!r}: unknown rates {sorted(unknown)}; use {RATES}")
        if self.time_scale < 0:
            raise ValueError("time_scale must be >= 0")

    def describe(self) -> dict[str, Any]:
        return asdict(self)

    def settled_after(self) -> timedelta:
        """How long after a send its delivery or bounce, open, click and unsubscribe have
        all happened (a spam complaint can come up to a day later)."""
        longest = DELIVERY_DELAY[1] + OPEN_DELAY[1] + AFTER_OPEN_DELAY[1]
        return timedelta(seconds=longest * self.time_scale)

    def rates_for(
        self, metric: str, variant: str | None, trigger: str | None = None
    ) -> dict[str, float]:
        rates = {name: float(getattr(self, name)) for name in RATES}
        keys = [f"metric:{metric}"]
        keys += [f"variant:{variant}"] if variant is not None else []
        keys += [f"trigger:{trigger}"] if trigger is not None else []
        for key in keys:
            for name, factor in self.effects.get(key, {}).items():
                rates[name] = min(1.0, rates[name] * factor)
        return rates


@dataclass(frozen=True)
class Send:
    """A tracked event that stands for one email sent to one profile."""

    profile_id: str
    email: str | None
    metric: str
    unique_id: str | None
    time: datetime
    properties: dict[str, Any]


class _Draws:
    """Uniform numbers in [0, 1) from a hash: the n-th draw of a send never changes."""

    def __init__(self, *parts: object) -> None:
        self._key = "\x1f".join(str(part) for part in parts).encode()
        self._n = 0

    def next(self) -> float:
        self._n += 1
        digest = hashlib.sha256(self._key + b"\x1e" + str(self._n).encode()).digest()
        return float(struct.unpack(">Q", digest[:8])[0] >> 11) / float(1 << 53)


def outcome(config: EngagementConfig, send: Send) -> list[tuple[str, datetime]]:
    """The engagement events (metric, time) this send produces, in time order."""
    key = send.unique_id or f"{send.profile_id}|{send.metric}|{send.time.isoformat()}"
    draws = _Draws(config.seed, key)
    variant = send.properties.get(config.variant_property)
    trigger = send.properties.get("trigger_key")
    rates = config.rates_for(
        send.metric,
        None if variant is None else str(variant),
        None if trigger is None else str(trigger),
    )
    # every draw is taken, used or not, so one rate's change leaves the others' draws alone
    bounce, opened, clicked, unsubscribed, spam = (draws.next() for _ in range(5))
    delays = [draws.next() for _ in range(5)]

    def later(base: datetime, delay: tuple[int, int], u: float) -> datetime:
        low, high = delay
        return base + timedelta(seconds=(low + (high - low) * u) * config.time_scale)

    if bounce < rates["bounce_rate"]:
        return [(BOUNCED, later(send.time, DELIVERY_DELAY, delays[0]))]
    received = later(send.time, DELIVERY_DELAY, delays[0])
    events = [(RECEIVED, received)]
    open_time = later(received, OPEN_DELAY, delays[1])
    if opened < rates["open_rate"]:
        events.append((OPENED, open_time))
        if clicked < rates["click_rate"]:
            events.append((CLICKED, later(open_time, AFTER_OPEN_DELAY, delays[2])))
    if unsubscribed < rates["unsubscribe_rate"]:
        events.append((UNSUBSCRIBED, later(open_time, AFTER_OPEN_DELAY, delays[3])))
    if spam < rates["spam_rate"]:
        events.append((SPAM, later(received, SPAM_DELAY, delays[4])))
    return sorted(events, key=lambda item: item[1])


def is_send(config: EngagementConfig, metric: str) -> bool:
    if metric in ENGAGEMENT_METRICS or metric.startswith(tuple(config.signal_prefixes)):
        return False
    return config.send_metrics is None or metric in config.send_metrics
