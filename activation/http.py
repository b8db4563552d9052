"""One HTTP client for destination APIs: base URL, headers, timeouts, the destination's
per-endpoint rate limits (``activation.ratelimit``), and bounded retries with exponential
backoff + jitter on 429, 5xx, timeouts and dropped connections. A ``Retry-After`` (seconds or
HTTP date) holds its endpoint: no request to it before it expires, and none at all in this
run if it is longer than ``RetryPolicy.max_retry_after``.
A write the server cannot de-duplicate (``resend_if_maybe_received=False``) is not sent again
once it may have arrived (a timeout or a dropped connection after it went out, a 5xx):
``OutcomeUnknown`` says so. Counts API calls, write calls, 429s, 5xx, timeouts and retries.
Never logs headers; redacts secrets from errors.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from urllib3.exceptions import ConnectTimeoutError

from .errors import DestinationError
from .ratelimit import HeldTooLong, RateLimiter
from .settings import RetryPolicy, Secret, redact

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# a timeout, a refused or dropped connection, or a body cut off mid-way
TRANSPORT_ERRORS = (
    requests.Timeout,
    requests.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class CallStats:
    """What a client did: requests sent (retries included), writes, 429s, 5xx, timeouts,
    dropped connections, retried requests, and seconds the rate limiter held requests."""

    api_calls: int = 0
    write_calls: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    timeouts: int = 0
    connection_errors: int = 0
    retries: int = 0
    throttle_seconds: float = 0.0


class ApiResponseError(DestinationError):
    """A non-retryable (or retries exhausted) error response."""

    def __init__(self, message: str, *, status: int, body: Any, retryable: bool = False):
        super().__init__(message, status=status, retryable=retryable)
        self.body = body


class OutcomeUnknown(DestinationError):
    """A write the server may have received and acted on, with no answer saying what it did:
    a timeout or a dropped connection after the request went out, or a 5xx. Sending it again
    could do it twice, so the caller decides (``retryable``: no row is at fault)."""


def _may_have_arrived(exc: Exception) -> bool:
    """Whether the request may have reached the server before ``exc``: not when the
    connection was never made (refused, or timed out connecting)."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return not isinstance(reason, ConnectTimeoutError)  # NewConnectionError is one


class ApiClient:
    """Why a hand-written retry loop rather than ``urllib3.Retry`` or ``tenacity``: every
    attempt, retries included, must first pass the per-endpoint rate limiter, and a
    ``Retry-After`` must hold the whole endpoint (not only this call) until it expires;
    urllib3 retries inside the connection pool, out of the limiter's sight."""

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        *,
        secrets: Iterable[Secret | str] = (),
        timeout: tuple[float, float] = (5.0, 60.0),
        retry: RetryPolicy | None = None,
        content_type: str = "application/json",
        sleep: Callable[[float], None] = time.sleep,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update(headers)
        self.secrets = tuple(secrets)
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.content_type = content_type
        self.sleep = sleep
        self.rate_limiter = rate_limiter or RateLimiter(())
        self.stats = CallStats()

    def close(self) -> None:
        self.session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        resend_if_maybe_received: bool = True,
    ) -> requests.Response:
        """Send one request, retrying transient failures; raise ``ApiResponseError`` on a
        4xx (other than 429) or when the attempts run out. A write the API cannot
        de-duplicate passes ``resend_if_maybe_received=False``: after a timeout or a dropped
        connection once the request went out, or a 5xx, the server may have acted on it, so
        this raises ``OutcomeUnknown`` at once (a refused connection and a 429 are still
        retried: nothing arrived, or nothing was done)."""
        method = method.upper()
        url = f"{self.base_url}{path}"
        endpoint_path = path.split("?", 1)[0]
        data = None if body is None else json.dumps(body, separators=(",", ":"))
        headers = {"Content-Type": self.content_type} if data is not None else {}
        attempt = 0
        while True:
            attempt += 1
            self._acquire(method, path, endpoint_path)
            self.stats.api_calls += 1
            if method in WRITE_METHODS:
                self.stats.write_calls += 1
            try:
                response = self.session.request(
                    method, url, params=params, data=data, headers=headers, timeout=self.timeout
                )
            except TRANSPORT_ERRORS as exc:
                reason = redact(f"{type(exc).__name__}: {exc}", self.secrets)
                if isinstance(exc, requests.Timeout):
                    self.stats.timeouts += 1
                else:
                    self.stats.connection_errors += 1
                if not resend_if_maybe_received and _may_have_arrived(exc):
                    raise OutcomeUnknown(
                        f"{method} {path}: {reason} (the request may have arrived; not sent again)",
                        retryable=True,
                    ) from None
                if attempt >= self.retry.max_attempts:
                    raise DestinationError(
                        f"{method} {path} failed after {attempt} attempts: {reason}",
                        retryable=True,
                    ) from None
                delay = self._backoff(attempt)
                log.warning("%s %s: %s; retry %d in %.2fs", method, path, reason, attempt, delay)
                self._pause(delay)
                continue
            log.debug("%s %s -> %s", method, path, response.status_code)
            if response.status_code == 429:
                self.stats.rate_limited += 1
            elif response.status_code >= 500:
                self.stats.server_errors += 1
            if response.status_code < 400:
                return response
            retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            if retry_after is not None and response.status_code in RETRY_STATUSES:
                # nothing more to this endpoint until it expires, from any caller
                self.rate_limiter.hold(method, endpoint_path, retry_after)
            if response.status_code >= 500 and not resend_if_maybe_received:
                error = self._error(method, path, response, attempt)
                raise OutcomeUnknown(
                    f"{error} (the request may have been acted on; not sent again)",
                    status=error.status,
                    retryable=True,
                )
            if response.status_code in RETRY_STATUSES and attempt < self.retry.max_attempts:
                if retry_after is not None and retry_after > self.retry.max_retry_after:
                    raise self._error(method, path, response, attempt)
                # with a Retry-After the limiter holds the next attempt; a little jitter on top
                # spreads clients that were all told the same instant
                wait = (
                    random.uniform(0, min(1.0, retry_after * 0.1))
                    if retry_after is not None
                    else self._backoff(attempt)
                )
                log.warning(
                    "%s %s -> %s; retry %d in %.2fs",
                    method,
                    path,
                    response.status_code,
                    attempt,
                    wait + (retry_after or 0.0),
                )
                self._pause(wait)
                continue
            raise self._error(method, path, response, attempt)

    def _acquire(self, method: str, path: str, endpoint_path: str) -> None:
        try:
            self.stats.throttle_seconds += self.rate_limiter.acquire(
                method, endpoint_path, max_hold=self.retry.max_retry_after
            )
        except HeldTooLong as held:
            raise DestinationError(
                f"{method} {path} not sent: the destination asked to wait {held.seconds:.0f}s "
                f"more (Retry-After), longer than this run allows "
                f"({self.retry.max_retry_after:.0f}s)",
                retryable=True,
            ) from None

    def _pause(self, delay: float) -> None:
        self.stats.retries += 1
        if delay > 0:
            self.sleep(delay)

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: uniform in [ceiling/2, ceiling]."""
        ceiling = min(self.retry.backoff_max, self.retry.backoff_base * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)

    def _error(
        self, method: str, path: str, response: requests.Response, attempts: int
    ) -> ApiResponseError:
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text[:500]
        details = _error_details(body)
        message = f"{method} {path} -> HTTP {response.status_code}"
        if attempts > 1:
            message += f" after {attempts} attempts"
        if details:
            message += f": {details}"
        if response.headers.get("Retry-After"):
            message += f" (Retry-After: {response.headers['Retry-After']})"
        return ApiResponseError(
            redact(message, self.secrets),
            status=response.status_code,
            body=body,
            retryable=response.status_code in RETRY_STATUSES,
        )


def retry_after_seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header (delay in seconds, or an HTTP date) as seconds from now."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _error_details(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        parts = []
        for error in body["errors"][:5]:
            if isinstance(error, dict):
                pointer = (error.get("source") or {}).get("pointer") or (
                    error.get("source") or {}
                ).get("parameter")
                where = f" at {pointer}" if pointer else ""
                parts.append(f"{error.get('detail') or error.get('title')}{where}")
        return "; ".join(parts)
    return str(body)[:300]
