"""What every destination's settings are made of, the helpers each destination's own
``settings.py`` reads the environment with, and secret redaction.

The API key is held in a ``Secret`` whose ``repr``/``str`` never show it; ``redact``
scrubs known secrets (as they are, URL-encoded, in base64, or cut off after their first
characters) from any text before it is logged, stored or put in an exception.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import quote, quote_plus, urlsplit

from .errors import ConfigurationError
from .preference_topics import TopicMap, topic_map
from .ratelimit import Window

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
    """``text`` with every form of each secret (of 4 characters or more) replaced by
    ``[REDACTED]``: the secret as it is, URL-encoded (``quote`` / ``quote_plus``, hex in
    either case), inside base64 (an HTTP Basic ``Authorization`` header encodes
    ``user:key``), and any of these cut off after at least the first
    ``IDENTIFYING_PREFIX`` characters of the key (a message truncated mid-key)."""
    spans: list[tuple[int, int]] = []
    for secret in secrets:
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if value and len(value) >= 4:
            for form, identifying in _forms(value):
                spans += _occurrences(text, form, identifying)
    return _replace_spans(text, spans)


IDENTIFYING_PREFIX = 8


def _forms(value: str) -> set[tuple[str, int]]:
    """(form, length of its shortest redacted prefix) for each way ``value`` may be written:
    a prefix must encode at least ``IDENTIFYING_PREFIX`` characters of the key (the whole
    key when it is shorter)."""
    head = value[:IDENTIFYING_PREFIX]
    forms: set[tuple[str, int]] = set()
    for encode in _TEXT_ENCODINGS:
        forms.add((encode(value), len(encode(head))))
    for offset in range(3):
        forms.add((_base64_core(value, offset), len(_base64_core(head, offset))))
    return {(form, identifying) for form, identifying in forms if len(form) >= 4}


def _lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda match: match.group().lower(), text)


_TEXT_ENCODINGS: tuple[Callable[[str], str], ...] = (
    lambda value: value,
    lambda value: quote(value, safe=""),
    lambda value: quote(value),  # keeps "/"
    lambda value: quote_plus(value),
    lambda value: _lower_hex(quote(value, safe="")),
    lambda value: _lower_hex(quote(value)),
    lambda value: _lower_hex(quote_plus(value)),
)


def _base64_core(value: str, offset: int) -> str:
    """The base64 characters that encode only ``value``'s bytes when ``offset`` bytes
    (mod 3) come before it: they are the same whatever those bytes are (the ``user:``
    of ``user:key``) and whatever follows."""
    data = value.encode()
    encoded = base64.b64encode(bytes(offset) + data).decode()
    start = -(-8 * offset // 6)  # the first character after the preceding bytes' bits
    end = 8 * (offset + len(data)) // 6  # the last character holding only the key's bits
    return encoded[start:end]


def _occurrences(text: str, form: str, identifying: int) -> list[tuple[int, int]]:
    """Spans of ``text`` holding ``form`` or a prefix of it at least ``identifying`` long."""
    spans = []
    start = text.find(form[:identifying])
    while start != -1:
        end = start + identifying
        while end < len(text) and end - start < len(form) and text[end] == form[end - start]:
            end += 1
        spans.append((start, end))
        start = text.find(form[:identifying], start + 1)
    return spans


def _replace_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each run of overlapping spans replaced by one ``[REDACTED]``."""
    pieces = []
    position = 0
    for start, end in sorted(spans):
        if start >= position:
            pieces.append(text[position:start] + REDACTED)
            position = end
        elif end > position:
            position = end
    return "".join(pieces) + text[position:]


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
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    job_poll_interval: float = 0.2
    job_poll_max_interval: float = 5.0
    job_timeout: float = 900.0
    options: EspOptions = field(default_factory=lambda: EspOptions())

    @property
    def secrets(self) -> tuple[Secret, ...]:
        return (self.api_key, *self.options.secrets())

    @property
    def target(self) -> str:
        """Which account this reaches: the API host and a short one-way fingerprint of the
        key (never the key). Sync state is kept per target. The port is left out so a local
        sandbox on a fresh port is still the same account; a rotated key starts a fresh,
        idempotent re-sync (but no triggered send goes again: activation/sends/candidates.py
        reads the send ledger of every target)."""
        host = urlsplit(self.base_url).hostname or self.base_url
        fingerprint = hashlib.sha256(self.api_key.reveal().encode()).hexdigest()[:12]
        return f"{self.destination}:{host}#key-sha256:{fingerprint}"


def parse_rate(text: str, variable: str) -> Window:
    """``"3000/3s"`` -> at most 3,000 requests per 3 seconds."""
    count, _, window = text.strip().partition("/")
    try:
        return Window(int(count), float(window.strip().removesuffix("s") or "1"))
    except ValueError:
        raise ConfigurationError(
            f"{variable} must look like '<requests>/<seconds>s' (e.g. '3000/3s'), got {text!r}."
        ) from None


@dataclass(frozen=True)
class EspOptions:
    """What a destination reads from the environment beyond URL and key: each destination's
    ``settings.py`` subclasses it with its own fields (defaults: the documented limits)."""

    def secrets(self) -> tuple[Secret, ...]:
        """Keys among the options, redacted wherever the API key is."""
        return ()


Options = TypeVar("Options", bound=EspOptions)


def options_of(settings: DestinationSettings, kind: type[Options]) -> Options:
    """The destination's own options; its defaults when the settings were made without."""
    return settings.options if isinstance(settings.options, kind) else kind()


def required(env: Mapping[str, str], variable: str, what: str) -> str:
    value = env.get(variable, "").strip()
    if not value:
        raise ConfigurationError(f"{variable} is not set. {what}")
    return value


def http_url(env: Mapping[str, str], variable: str, value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ConfigurationError(f"{variable} must start with http:// or https://, got {value!r}.")
    return value.rstrip("/")


def parse_pairs(
    text: str,
    variable: str,
    kind: str = "<metric>",
    example: str = "Abandoned Cart=4a1b...,Welcome=9c2d...",
    value_kind: str = "<campaign id>",
) -> tuple[tuple[str, str], ...]:
    """``"Abandoned Cart=cmp-1, Welcome=cmp-2"`` -> (("Abandoned Cart", "cmp-1"), …)."""
    pairs = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, equals, value = item.partition("=")
        if not equals or not name.strip() or not value.strip():
            raise ConfigurationError(
                f"{variable} must list {kind}={value_kind} pairs separated by commas "
                f"(e.g. '{example}'), got {item!r}."
            )
        pairs.append((name.strip(), value.strip()))
    return tuple(pairs)


def report_campaigns(env: Mapping[str, str], variable: str) -> tuple[tuple[str, str], ...]:
    return parse_pairs(
        env.get(variable, ""), variable, "<trigger_key>", "cart_abandonment=4a1b...,welcome=9c2d..."
    )


def preference_topics(
    env: Mapping[str, str],
    variable: str,
    example: str,
    normalize_id: Callable[[str, str], str] | None = None,
) -> TopicMap:
    pairs = parse_pairs(env.get(variable, ""), variable, "<nudge topic>", example, "<id>")
    return topic_map(pairs, variable, example, normalize_id)


def esp_settings(
    destination: str, base_url: str, key: str, options: EspOptions, overrides: dict[str, object]
) -> DestinationSettings:
    return DestinationSettings(
        destination=destination,
        base_url=base_url,
        api_key=Secret(key),
        options=options,
        **overrides,  # type: ignore[arg-type]
    )
