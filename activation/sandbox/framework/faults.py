"""Injected faults: make chosen requests fail (429/5xx with ``Retry-After``), answer slowly,
hang past the client's timeout, drop the connection without an answer, or answer with a
proxy's page, to exercise a client's retries. Faults apply after authentication, the body
checks, validation and the rate limits, so the request log still says whether each request
was valid.

    handle.inject_fault(status=429, retry_after=1, path="^/api/profile-bulk-import-jobs$")
    handle.inject_fault(status=503, share=0.2, times=None)   # a fifth of all requests, forever
    handle.inject_fault(status=None, delay=2.0)               # one slow answer (client timeout)
    handle.inject_fault(status=None, drop=True)               # connection closed, no answer
    handle.inject_fault(status=None, delay=2.0, drop=True)    # hangs, then closes, unprocessed
    handle.inject_fault(status=200, body="<html>proxy</html>")  # a proxy's page, unprocessed

A slow answer (``delay`` alone) is processed after the delay, even if the client gave up
meanwhile (as a real server would); a dropped one (``drop``) is never processed.
"""

from __future__ import annotations

import math
import random
import re
import threading
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class Fault:
    """``status`` None answers normally after ``delay`` (or, with ``drop``, closes the
    connection after it); ``path`` is a regex searched in the request path; ``times`` None
    means unlimited; ``share`` is the chance a match is hit. With ``body`` the answer is that
    text as ``content_type`` (any status, 200 included) and the request is not processed."""

    status: int | None = 429
    method: str | None = None
    path: str | None = None
    retry_after: float | None = None
    delay: float = 0.0
    times: int | None = 1
    share: float = 1.0
    drop: bool = False
    body: str | None = None
    content_type: str = "text/html"

    def __post_init__(self) -> None:
        lowest = 200 if self.body is not None else 400
        if self.status is not None and not lowest <= self.status <= 599:
            raise ValueError(
                f"fault status must be 4xx/5xx (2xx with a body) or None, got {self.status}"
            )
        if self.drop and self.status is not None:
            raise ValueError("a dropped connection has no status: use status=None with drop")
        if self.delay < 0:
            raise ValueError(f"fault delay must be >= 0, got {self.delay}")
        if not 0.0 <= self.share <= 1.0:
            raise ValueError(f"fault share must be between 0 and 1, got {self.share}")
        if self.path is not None:
            re.compile(self.path)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or re.search(self.path, path) is not None

    def answers(self) -> bool:
        """Whether the fault answers (or drops) the request rather than only slowing it."""
        return self.status is not None or self.drop

    def retry_after_header(self) -> str | None:
        """Whole seconds, rounded up (vendors send integers)."""
        return None if self.retry_after is None else str(math.ceil(self.retry_after))

    def logged(self) -> dict[str, Any]:
        """What the request log says about a request this fault hit."""
        if not self.answers():
            return {"status": None, "delay": self.delay}
        entry: dict[str, Any] = {"status": self.status, "retry_after": self.retry_after}
        if self.drop:
            entry["drop"] = True
        return entry

    def describe(self) -> dict[str, Any]:
        return asdict(self)


class FaultInjector:
    """The faults waiting for requests, first match first; ``seed`` picks another sequence
    of hits for faults with a ``share`` below 1."""

    def __init__(self, seed: int = 0) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._random = random.Random(seed)

    def seed(self, seed: int) -> None:
        with self._lock:
            self._random.seed(seed)

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def active(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.describe() for fault in self._faults]

    def pick(self, method: str, path: str) -> Fault | None:
        """The first fault that hits this request (using up one of its ``times``)."""
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path):
                    continue
                if fault.share < 1.0 and self._random.random() >= fault.share:
                    continue
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                return fault
        return None
