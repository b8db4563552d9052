"""Rate limits as vendors enforce them: fixed windows per account, each rate-limited endpoint
(a ``Budget``) with its own windows (Klaviyo: a 1 s burst, a 1 min steady and, on a few
endpoints, a daily one; Braze's ``/users/track``: 3,000 per 3 s). Over any window a request
is throttled (and not counted), with the whole seconds until that window ends; the ESP turns
a ``Decision`` into its own 429 and rate-limit headers.

Tests scale the limits down: ``scale`` multiplies every limit, ``period_scale`` shortens
every window (0.1 turns a 60 s window into 6 s), ``overrides`` sets one budget's windows.

    RateLimitConfig(scale=0.2, overrides={"bulk_import_profiles": {"burst": 2, "steady": 6}})
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86_400.0}
_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*([smhd])\s*$")


class Window(NamedTuple):
    name: str
    limit: int
    seconds: float


@dataclass(frozen=True)
class Budget:
    """What one endpoint (or a group of endpoints sharing a budget) may receive."""

    key: str
    windows: tuple[Window, ...]


def parse_rate(text: str) -> tuple[int, float]:
    """``"150/m"`` -> (150, 60.0)."""
    match = _RATE_RE.match(text)
    if not match:
        raise ValueError(f"not a rate like '10/s': {text!r}")
    return int(match[1]), _UNIT_SECONDS[match[2]]


@dataclass
class RateLimitConfig:
    """``enabled`` False serves without limits."""

    enabled: bool = True
    scale: float = 1.0
    period_scale: float = 1.0
    overrides: dict[str, dict[str, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.scale <= 0 or self.period_scale <= 0:
            raise ValueError("scale and period_scale must be positive")


class WindowState(NamedTuple):
    window: Window  # scaled
    used: int  # requests counted in the current window, this one included if allowed
    resets_at: float  # epoch seconds


@dataclass
class Decision:
    budget: str | None  # None: not rate limited
    now: float = 0.0
    retry_after: int | None = None  # set when throttled
    windows: list[WindowState] = field(default_factory=list)

    @property
    def throttled(self) -> bool:
        return self.retry_after is not None

    def shortest(self) -> WindowState | None:
        """The window that resets first (the burst window), which headers usually report."""
        return min(self.windows, key=lambda state: state.window.seconds, default=None)


class RateLimiter:
    """Counts requests against their budget; ``budgets`` are every budget the server has,
    so overrides naming none of them are refused."""

    def __init__(
        self,
        budgets: Iterable[Budget],
        config: RateLimitConfig | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._known = {budget.key for budget in budgets}
        self._clock = clock
        self._lock = threading.Lock()
        # (budget, window name) -> (window index, count)
        self._counts: dict[tuple[str, str], tuple[int, int]] = {}
        self.throttled = 0
        self.config = RateLimitConfig()
        self.configure(config or RateLimitConfig())

    def configure(self, config: RateLimitConfig) -> None:
        """Replace the limits (and start fresh windows)."""
        unknown = set(config.overrides) - self._known
        if unknown:
            raise ValueError(f"no such rate-limited endpoint(s): {sorted(unknown)}")
        with self._lock:
            self.config = config
            self._counts.clear()

    def describe(self) -> dict[str, Any]:
        config = self.config
        return {
            "enabled": config.enabled,
            "scale": config.scale,
            "period_scale": config.period_scale,
            "overrides": config.overrides,
            "throttled": self.throttled,
        }

    def windows(self, budget: Budget) -> list[Window]:
        config = self.config
        override: Mapping[str, int] = config.overrides.get(budget.key, {})
        return [
            Window(
                name,
                override.get(name, max(1, int(limit * config.scale))),
                seconds * config.period_scale,
            )
            for name, limit, seconds in budget.windows
        ]

    def check(self, budget: Budget | None) -> Decision:
        """Count one request against ``budget`` (None: not limited), or throttle it."""
        now = self._clock()
        if budget is None or not self.config.enabled:
            return Decision(None, now)
        with self._lock:
            state = []
            wait = 0.0
            for window in self.windows(budget):
                index = math.floor(now / window.seconds)
                seen_index, count = self._counts.get((budget.key, window.name), (index, 0))
                count = count if seen_index == index else 0
                state.append((window, index, count))
                if count >= window.limit:
                    wait = max(wait, (index + 1) * window.seconds - now)
            if wait > 0:
                self.throttled += 1
            else:
                for window, index, count in state:
                    self._counts[(budget.key, window.name)] = (index, count + 1)
        added = 0 if wait > 0 else 1
        windows = [
            WindowState(window, count + added, (index + 1) * window.seconds)
            for window, index, count in state
        ]
        retry_after = max(1, math.ceil(wait)) if wait > 0 else None
        return Decision(budget.key, now, retry_after, windows)
