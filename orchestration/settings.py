"""Orchestration knobs, read from the environment once per code-location load.

Every value has a default that works for the demo; a bad value names the variable and the fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from activation.errors import ConfigurationError

TRIGGER_INTERVAL_ENV = "NUDGE_TRIGGER_INTERVAL_MINUTES"
FAILED_SHARE_ENV = "NUDGE_SYNC_MAX_FAILED_SHARE"
RAW_FRESHNESS_ENV = "NUDGE_RAW_MAX_LAG_HOURS"
DAILY_HOUR_ENV = "NUDGE_DAILY_REFRESH_HOUR_UTC"

T = TypeVar("T", int, float)


@dataclass(frozen=True)
class OrchestrationSettings:
    trigger_interval_minutes: int = 15
    # a sync run whose failed rows exceed this share of the rows it sent fails its check
    max_failed_share: float = 0.05
    # a raw table whose newest received_at is older than this fails its freshness check
    raw_max_lag_hours: float = 6.0
    daily_refresh_hour_utc: int = 3

    @property
    def trigger_cron(self) -> str:
        minutes = self.trigger_interval_minutes
        if minutes < 60:
            return f"*/{minutes} * * * *"
        return f"0 */{minutes // 60} * * *"


def orchestration_settings(env: Mapping[str, str] | None = None) -> OrchestrationSettings:
    env = os.environ if env is None else env
    defaults = OrchestrationSettings()
    interval = _number(env, TRIGGER_INTERVAL_ENV, defaults.trigger_interval_minutes, int)
    if not (1 <= interval < 60 and 60 % interval == 0) and not (
        interval >= 60 and interval % 60 == 0 and 24 % (interval // 60) == 0
    ):
        raise ConfigurationError(
            f"{TRIGGER_INTERVAL_ENV}={interval} does not divide the hour or the day evenly; "
            "use e.g. 5, 10, 15, 30, 60 or 120."
        )
    share = _number(env, FAILED_SHARE_ENV, defaults.max_failed_share, float)
    if not 0 <= share <= 1:
        raise ConfigurationError(f"{FAILED_SHARE_ENV}={share} must be between 0 and 1, e.g. 0.05.")
    lag = _number(env, RAW_FRESHNESS_ENV, defaults.raw_max_lag_hours, float)
    if lag <= 0:
        raise ConfigurationError(f"{RAW_FRESHNESS_ENV}={lag} must be a positive number of hours.")
    hour = _number(env, DAILY_HOUR_ENV, defaults.daily_refresh_hour_utc, int)
    if not 0 <= hour <= 23:
        raise ConfigurationError(f"{DAILY_HOUR_ENV}={hour} must be an hour from 0 to 23.")
    return OrchestrationSettings(interval, share, lag, hour)


def _number(env: Mapping[str, str], name: str, default: T, kind: type[T]) -> T:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        raise ConfigurationError(
            f"{name}={raw!r} is not a {'whole ' if kind is int else ''}number; "
            f"unset it for the default ({default})."
        ) from None
