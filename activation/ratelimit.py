"""Client-side rate limiting: stay under each endpoint's documented limits instead of
learning them from 429s.

Each destination declares its limits per endpoint (``EndpointLimit``: a method, a path
pattern and one or more ``Window``s such as 75 per second and 750 per minute). The engine
keeps one ``WindowLimiter`` per (destination account, endpoint), shared by every client in
the process, and calls ``acquire`` before each request (retries included) and ``hold_until``
when a 429 names a ``Retry-After``.

Why not a library: ``pyrate-limiter`` (the best-known one) models leaky buckets whose API
changed shape across its last majors, and neither it nor urllib3's ``Retry`` can be told
"nothing on this endpoint before t" after a 429. The guarantee needed here, at most N
requests in *any* interval of the window's length (so also in every fixed window the
vendor counts in, whatever its alignment), is a sliding log of send times: a deque per
window, a few lines with a lock.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

# The server counts arrivals, the client counts sends: a request that spent longer in flight
# (a big upload, a loaded machine) arrives later than it left, so N requests sent just over
# a window apart can land in one of the server's windows. Pad every window by more than
# such a delay.
WINDOW_SLACK_SECONDS = 0.25
WINDOW_SLACK_SHARE = 0.02


@dataclass(frozen=True)
class Window:
    """At most ``limit`` requests per ``seconds``."""

    limit: int
    seconds: float

    def __post_init__(self) -> None:
        if self.limit < 1 or self.seconds <= 0:
            raise ValueError(f"a rate window needs limit >= 1 and seconds > 0, got {self}")

    def scaled(self, factor: float) -> Window:
        return Window(max(1, int(self.limit * factor)), self.seconds)


@dataclass(frozen=True)
class EndpointLimit:
    """The limits of one endpoint: ``method`` and a regex matched against the whole path.
    ``name`` identifies the budget (endpoints sharing a name share one budget)."""

    name: str
    method: str
    path: str
    windows: tuple[Window, ...]
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_pattern", re.compile(self.path))

    def matches(self, method: str, path: str) -> bool:
        return method.upper() == self.method.upper() and self._pattern.fullmatch(path) is not None

    def scaled(self, factor: float) -> EndpointLimit:
        windows = tuple(window.scaled(factor) for window in self.windows)
        return EndpointLimit(self.name, self.method, self.path, windows)


def per_second_and_minute(
    name: str, method: str, path: str, burst: int, steady: int
) -> EndpointLimit:
    """Klaviyo's shape: a burst per second and a steady rate per minute."""
    return EndpointLimit(name, method, path, (Window(burst, 1.0), Window(steady, 60.0)))


class HeldTooLong(Exception):
    """The endpoint is held (a 429's ``Retry-After``) for longer than the caller may wait."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"rate limited for {seconds:.0f} more seconds")
        self.seconds = seconds


class WindowLimiter:
    """At most ``window.limit`` acquisitions in any ``window.seconds`` (sliding log), for
    every window at once; thread-safe. ``hold_until`` blocks acquisitions until a time."""

    def __init__(
        self,
        windows: Sequence[Window],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.windows = tuple(windows)
        self._sent: list[deque[float]] = [deque() for _ in self.windows]
        self._held_until = 0.0
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self.waited = 0.0  # seconds spent waiting, for reports

    def hold_until(self, moment: float) -> None:
        """No acquisition before ``moment`` (same clock as ``clock``)."""
        with self._lock:
            self._held_until = max(self._held_until, moment)

    def _wait_needed(self, now: float) -> float:
        wait = self._held_until - now
        for window, sent in zip(self.windows, self._sent, strict=True):
            span = window.seconds * (1 + WINDOW_SLACK_SHARE) + WINDOW_SLACK_SECONDS
            # one expression for both tests, so rounding cannot admit a request to a full
            # window (a > b implies a - b > 0 in floating point)
            while sent and sent[0] + span <= now:
                sent.popleft()
            if len(sent) >= window.limit:
                wait = max(wait, sent[0] + span - now)
        return wait

    def acquire(self, max_hold: float | None = None) -> float:
        """Wait until a request may go, record it, and return the seconds waited. Raises
        ``HeldTooLong`` at once if a ``hold_until`` lasts more than ``max_hold`` seconds."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                held = self._held_until - now
                if max_hold is not None and held > max_hold:
                    raise HeldTooLong(held)
                wait = self._wait_needed(now)
                if wait <= 0:
                    for sent in self._sent:
                        sent.append(now)
                    self.waited += waited
                    return waited
            wait += 1e-6  # past the instant, not onto it
            self._sleep(wait)
            waited += wait


class RateLimiter:
    """The limiters of one destination account, one per declared endpoint budget. Requests
    to undeclared endpoints are not limited (the engine still honors their 429s)."""

    def __init__(
        self,
        limits: Iterable[EndpointLimit],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limits = tuple(limits)
        self.clock = clock
        self._limiters: dict[str, WindowLimiter] = {}
        for limit in self.limits:
            if limit.name not in self._limiters:
                self._limiters[limit.name] = WindowLimiter(limit.windows, clock=clock, sleep=sleep)
        self._fallback: dict[str, WindowLimiter] = {}
        self._lock = threading.Lock()
        self._sleep = sleep

    def endpoint(self, method: str, path: str) -> str:
        """The budget this request counts against (``METHOD path`` when undeclared)."""
        for limit in self.limits:
            if limit.matches(method, path):
                return limit.name
        return f"{method.upper()} {path}"

    def _limiter(self, name: str) -> WindowLimiter:
        limiter = self._limiters.get(name)
        if limiter is not None:
            return limiter
        with self._lock:  # undeclared endpoint: no windows, only Retry-After holds
            return self._fallback.setdefault(
                name, WindowLimiter((), clock=self.clock, sleep=self._sleep)
            )

    def acquire(self, method: str, path: str, max_hold: float | None = None) -> float:
        return self._limiter(self.endpoint(method, path)).acquire(max_hold)

    def hold(self, method: str, path: str, seconds: float) -> None:
        """Nothing more to this endpoint for ``seconds`` (a 429's ``Retry-After``)."""
        self._limiter(self.endpoint(method, path)).hold_until(self.clock() + seconds)

    @property
    def waited(self) -> float:
        return sum(limiter.waited for limiter in self._limiters.values())


_shared: dict[tuple[str, tuple[EndpointLimit, ...]], RateLimiter] = {}
_shared_lock = threading.Lock()


def shared_rate_limiter(account: str, limits: Sequence[EndpointLimit]) -> RateLimiter:
    """One limiter per destination account (and declared limits) in this process, so two
    syncs to the same account share its budget."""
    key = (account, tuple(limits))
    with _shared_lock:
        limiter = _shared.get(key)
        if limiter is None:
            limiter = _shared[key] = RateLimiter(limits)
        return limiter
