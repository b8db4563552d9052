"""Per-endpoint rate limits, as Klaviyo enforces them: fixed windows per account (a burst
window of 1 s, a steady window of 1 min, a daily one on a few endpoints), each endpoint
(operation) with its own budget. Over any window the answer is 429 with an integer
``Retry-After`` (seconds until that window ends); other answers carry ``RateLimit-Limit``,
``RateLimit-Remaining`` and ``RateLimit-Reset``.

The limits are read from the spec's ``x-klaviyo-ratelimit`` (e.g. ``{"burst": "10/s",
"steady": "150/m"}``) for every operation, so the default is exactly Klaviyo's documented
limits. Tests scale them down: ``scale`` multiplies every limit, ``period_scale`` shortens
every window (0.1 turns the 60 s steady window into 6 s), ``overrides`` sets one operation.

    RateLimitConfig(scale=0.2, overrides={"bulk_import_profiles": {"burst": 2, "steady": 6}})
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .validation import spec_dict

_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86_400.0}
_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*([smhd])\s*$")
_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    pattern: re.Pattern[str]
    windows: tuple[tuple[str, int, float], ...]  # (name, limit, seconds)


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
        unknown = set(self.overrides) - {op.operation_id for op in operations()}
        if unknown:
            raise ValueError(f"no such Klaviyo operation(s) in the spec: {sorted(unknown)}")


def parse_rate(text: str) -> tuple[int, float]:
    """``"150/m"`` -> (150, 60.0)."""
    match = _RATE_RE.match(text)
    if not match:
        raise ValueError(f"not a rate like '10/s': {text!r}")
    return int(match[1]), _UNIT_SECONDS[match[2]]


@cache
def operations() -> tuple[Operation, ...]:
    """Every operation of the spec that documents a rate limit."""
    found = []
    for template, item in spec_dict()["paths"].items():
        regex = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
        for method in _METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict) or "x-klaviyo-ratelimit" not in operation:
                continue
            limits = operation["x-klaviyo-ratelimit"]
            windows = tuple(
                (name, *parse_rate(str(rate))) for name, rate in sorted(limits.items()) if rate
            )
            found.append(Operation(operation["operationId"], method.upper(), regex, windows))
    # literal paths before templated ones (/api/lists before /api/lists/{id})
    found.sort(key=lambda op: op.pattern.pattern.count("[^/]+"))
    return tuple(found)


def operation_for(method: str, path: str) -> Operation | None:
    for operation in operations():
        if operation.method == method.upper() and operation.pattern.match(path):
            return operation
    return None


@dataclass
class Decision:
    operation: str | None
    retry_after: int | None = None  # set when throttled
    headers: dict[str, str] = field(default_factory=dict)


class SandboxRateLimiter:
    def __init__(
        self, config: RateLimitConfig | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.config = config or RateLimitConfig()
        self._clock = clock
        self._lock = threading.Lock()
        # (operation, window name) -> (window index, count)
        self._counts: dict[tuple[str, str], tuple[int, int]] = {}
        self.throttled = 0

    def configure(self, config: RateLimitConfig) -> None:
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

    def windows(self, operation: Operation) -> list[tuple[str, int, float]]:
        config = self.config
        override: Mapping[str, int] = config.overrides.get(operation.operation_id, {})
        windows = []
        for name, limit, seconds in operation.windows:
            scaled = override.get(name, max(1, int(limit * config.scale)))
            windows.append((name, scaled, seconds * config.period_scale))
        return windows

    def check(self, method: str, path: str) -> Decision:
        """Count this request against its endpoint, or throttle it (not counted)."""
        operation = operation_for(method, path)
        if operation is None or not self.config.enabled:
            return Decision(operation.operation_id if operation else None)
        now = self._clock()
        with self._lock:
            windows = self.windows(operation)
            state = []
            wait = 0.0
            for name, limit, seconds in windows:
                index = math.floor(now / seconds)
                seen_index, count = self._counts.get((operation.operation_id, name), (index, 0))
                count = count if seen_index == index else 0
                state.append((name, limit, seconds, index, count))
                if count >= limit:
                    wait = max(wait, (index + 1) * seconds - now)
            if wait > 0:
                self.throttled += 1
                return Decision(operation.operation_id, retry_after=max(1, math.ceil(wait)))
            for name, _, _, index, count in state:
                self._counts[(operation.operation_id, name)] = (index, count + 1)
        burst = min(state, key=lambda item: item[2])
        name, limit, seconds, index, count = burst
        policy = ", ".join(f"{item[1]};w={item[2]:g}" for item in state)
        headers = {
            "RateLimit-Limit": f"{limit}, {policy}",
            "RateLimit-Remaining": str(max(0, limit - count - 1)),
            "RateLimit-Reset": str(max(1, math.ceil((index + 1) * seconds - now))),
        }
        return Decision(operation.operation_id, headers=headers)
