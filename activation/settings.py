"""Destination settings from the environment, and secret redaction.

The API key is held in a ``Secret`` whose ``repr``/``str`` never show it; ``redact``
scrubs known secrets from any text before it is logged or put in an exception.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .errors import ConfigurationError

KLAVIYO_DEFAULT_BASE_URL = "https://a.klaviyo.com"
KLAVIYO_REVISION = "2026-07-15"
REDACTED = "[REDACTED]"


class Secret:
    """A string that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def redact(text: str, secrets: Iterable[Secret | str | None]) -> str:
    """``text`` with every occurrence of each secret replaced by ``[REDACTED]``."""
    for secret in secrets:
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if value and len(value) >= 4:
            text = text.replace(value, REDACTED)
    return text


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 60.0


@dataclass(frozen=True)
class DestinationSettings:
    """Where and how to reach one destination API."""

    destination: str
    base_url: str
    api_key: Secret
    revision: str = KLAVIYO_REVISION
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    job_poll_interval: float = 0.2
    job_poll_max_interval: float = 5.0
    job_timeout: float = 900.0

    @property
    def secrets(self) -> tuple[Secret, ...]:
        return (self.api_key,)

    @property
    def target(self) -> str:
        """Which account this reaches: the API host and a short one-way fingerprint of the
        key (never the key). Sync state is kept per target. The port is left out so a local
        sandbox on a fresh port is still the same account; a rotated key starts a fresh,
        idempotent re-sync."""
        host = urlsplit(self.base_url).hostname or self.base_url
        fingerprint = hashlib.sha256(self.api_key.reveal().encode()).hexdigest()[:12]
        return f"{self.destination}:{host}#key-sha256:{fingerprint}"


def klaviyo_settings(
    env: Mapping[str, str] | None = None, **overrides: object
) -> DestinationSettings:
    """Klaviyo settings from ``KLAVIYO_BASE_URL`` (default https://a.klaviyo.com) and
    ``KLAVIYO_API_KEY`` (required)."""
    env = os.environ if env is None else env
    key = env.get("KLAVIYO_API_KEY", "").strip()
    if not key:
        raise ConfigurationError(
            "KLAVIYO_API_KEY is not set. Export a Klaviyo private API key "
            "(export KLAVIYO_API_KEY=pk_...), or for the local sandbox the key it was started "
            "with, and point KLAVIYO_BASE_URL at the sandbox (e.g. http://127.0.0.1:8765)."
        )
    base_url = env.get("KLAVIYO_BASE_URL", "").strip() or KLAVIYO_DEFAULT_BASE_URL
    if not base_url.startswith(("http://", "https://")):
        raise ConfigurationError(
            f"KLAVIYO_BASE_URL must start with http:// or https://, got {base_url!r}."
        )
    return DestinationSettings(
        destination="klaviyo",
        base_url=base_url.rstrip("/"),
        api_key=Secret(key),
        **overrides,  # type: ignore[arg-type]
    )
