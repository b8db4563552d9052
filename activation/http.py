"""One HTTP client for destination APIs: base URL, headers, timeouts, and retries with
exponential backoff + jitter on 429, 5xx and timeouts; a ``Retry-After`` (seconds or HTTP
date) is honored: no retry before it expires, and none at all in this run if it is longer than
``RetryPolicy.max_retry_after``.
Counts API calls, write calls and 429s. Never logs headers; redacts secrets from errors.
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

from .errors import DestinationError
from .settings import RetryPolicy, Secret, redact

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class CallStats:
    api_calls: int = 0
    write_calls: int = 0
    rate_limited: int = 0
    retries: int = 0


class ApiResponseError(DestinationError):
    """A non-retryable (or retries exhausted) error response."""

    def __init__(self, message: str, *, status: int, body: Any, retryable: bool = False):
        super().__init__(message, status=status, retryable=retryable)
        self.body = body


class ApiClient:
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
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update(headers)
        self.secrets = tuple(secrets)
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.content_type = content_type
        self.sleep = sleep
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
    ) -> requests.Response:
        """Send one request, retrying transient failures; raise ``ApiResponseError`` on a
        4xx (other than 429) or when the attempts run out."""
        method = method.upper()
        url = f"{self.base_url}{path}"
        data = None if body is None else json.dumps(body, separators=(",", ":"))
        headers = {"Content-Type": self.content_type} if data is not None else {}
        attempt = 0
        while True:
            attempt += 1
            self.stats.api_calls += 1
            if method in WRITE_METHODS:
                self.stats.write_calls += 1
            try:
                response = self.session.request(
                    method, url, params=params, data=data, headers=headers, timeout=self.timeout
                )
            except (requests.Timeout, requests.ConnectionError) as exc:
                reason = redact(f"{type(exc).__name__}: {exc}", self.secrets)
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
            if response.status_code < 400:
                return response
            if response.status_code in RETRY_STATUSES and attempt < self.retry.max_attempts:
                wait = self._delay(response, attempt)
                if wait is None:  # the server asks for a longer wait than this run allows
                    raise self._error(method, path, response, attempt)
                log.warning(
                    "%s %s -> %s; retry %d in %.2fs",
                    method,
                    path,
                    response.status_code,
                    attempt,
                    wait,
                )
                self._pause(wait)
                continue
            raise self._error(method, path, response, attempt)

    def _pause(self, delay: float) -> None:
        self.stats.retries += 1
        self.sleep(delay)

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.retry.backoff_max, self.retry.backoff_base * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)

    def _delay(self, response: requests.Response, attempt: int) -> float | None:
        """Seconds to wait before the next attempt: never less than ``Retry-After`` (plus a
        little jitter), else exponential backoff; None when ``Retry-After`` exceeds
        ``max_retry_after`` (retrying sooner would break it)."""
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is None:
            return self._backoff(attempt)
        if wait > self.retry.max_retry_after:
            return None
        return wait + random.uniform(0, min(1.0, wait * 0.1))

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
