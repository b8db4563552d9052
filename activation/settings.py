"""Destination settings from the environment, and secret redaction.

The API key is held in a ``Secret`` whose ``repr``/``str`` never show it; ``redact``
scrubs known secrets (as they are, URL-encoded, in base64, or cut off after their first
characters) from any text before it is logged, stored or put in an exception.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus, urlsplit

from .errors import ConfigurationError
from .preference_topics import TopicMap, topic_map
from .ratelimit import Window

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
    revision: str = KLAVIYO_REVISION
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    job_poll_interval: float = 0.2
    job_poll_max_interval: float = 5.0
    job_timeout: float = 900.0
    options: EspOptions = field(default_factory=lambda: EspOptions())

    @property
    def secrets(self) -> tuple[Secret, ...]:
        extra = self.options.app_api_key
        return (self.api_key,) if extra is None else (self.api_key, extra)

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


# ------------------------------------------------------------ other destinations

BRAZE_TRACK_RATE_DEFAULT = "50000/60s"  # (conflicting) 3,000 / 3 s elsewhere: the stricter one
CUSTOMERIO_TRACK_RATE_DEFAULT = "100/1s"  # (conflicting) 1,000 / s elsewhere
BRAZE_TRACK_OBJECTS_DEFAULT = 75  # (conflicting) 75 of each kind, or 75 in total
CUSTOMERIO_DEFAULT_TRACK_URL = "https://track.customer.io"
CUSTOMERIO_DEFAULT_APP_URL = "https://api.customer.io"


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
    """Destination-specific settings beyond URL and key (defaults are the documented
    limits; the "(conflicting)" ones can be overridden from the environment)."""

    username: str | None = None  # HTTP Basic user: the Customer.io site id
    write_rate: Window | None = None
    objects_per_request: int | None = None
    # metric -> Braze transactional campaign id: those events are sent through it, with the
    # send key as external_send_id (de-duplicated by Braze for 24 h)
    campaigns: tuple[tuple[str, str], ...] = ()
    # the Mailchimp audience triggered sends go to (a sync names its own in its declaration)
    audience_id: str | None = None
    # the webhook may POST over plain http:// to a host other than this machine
    allow_insecure_http: bool = False
    # trigger_key -> the ESP campaign that emails it, whose report the engagement pull reads
    # (Mailchimp, Customer.io: their reports name the campaign, not the send)
    report_campaigns: tuple[tuple[str, str], ...] = ()
    # Customer.io's App API (reporting: the engagement pull), apart from the Track API
    app_url: str | None = None
    app_api_key: Secret | None = None
    # ESP topic id -> Nudge email topic, for the preference read-back (Braze subscription
    # groups, Customer.io subscription-center topics); empty: preferences are not read back
    preference_topics: TopicMap = ()


def _required(env: Mapping[str, str], variable: str, what: str) -> str:
    value = env.get(variable, "").strip()
    if not value:
        raise ConfigurationError(f"{variable} is not set. {what}")
    return value


def _url(env: Mapping[str, str], variable: str, value: str) -> str:
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


def _report_campaigns(env: Mapping[str, str], variable: str) -> tuple[tuple[str, str], ...]:
    return parse_pairs(
        env.get(variable, ""), variable, "<trigger_key>", "cart_abandonment=4a1b...,welcome=9c2d..."
    )


def _preference_topics(
    env: Mapping[str, str],
    variable: str,
    example: str,
    normalize_id: Callable[[str, str], str] | None = None,
) -> TopicMap:
    pairs = parse_pairs(env.get(variable, ""), variable, "<nudge topic>", example, "<id>")
    return topic_map(pairs, variable, example, normalize_id)


def _settings(
    destination: str, base_url: str, key: str, options: EspOptions, overrides: dict[str, object]
) -> DestinationSettings:
    return DestinationSettings(
        destination=destination,
        base_url=base_url,
        api_key=Secret(key),
        options=options,
        **overrides,  # type: ignore[arg-type]
    )


def braze_settings(
    env: Mapping[str, str] | None = None, **overrides: object
) -> DestinationSettings:
    """Braze from ``BRAZE_BASE_URL`` (your instance's REST endpoint) and ``BRAZE_API_KEY``;
    ``BRAZE_TRACK_RATE`` (default 50000/60s), ``BRAZE_TRACK_OBJECTS`` (default 75) and
    ``BRAZE_TRANSACTIONAL_CAMPAIGNS`` (``<metric>=<campaign id>,…``, default none);
    ``BRAZE_PREFERENCE_GROUPS`` (``<nudge topic>=<subscription group id>,…``): the email
    subscription group of each Nudge topic, whose unsubscribes are read back."""
    env = os.environ if env is None else env
    base = _required(
        env,
        "BRAZE_BASE_URL",
        "Export your Braze instance's REST endpoint (e.g. "
        "export BRAZE_BASE_URL=https://rest.iad-01.braze.com) or a local contract server.",
    )
    key = _required(env, "BRAZE_API_KEY", "Export a Braze REST API key (export BRAZE_API_KEY=...).")
    objects = env.get("BRAZE_TRACK_OBJECTS", "").strip() or str(BRAZE_TRACK_OBJECTS_DEFAULT)
    if not objects.isdigit() or not 1 <= int(objects) <= BRAZE_TRACK_OBJECTS_DEFAULT:
        raise ConfigurationError(
            f"BRAZE_TRACK_OBJECTS must be a whole number from 1 to 75, got {objects!r}."
        )
    options = EspOptions(
        write_rate=parse_rate(
            env.get("BRAZE_TRACK_RATE", "").strip() or BRAZE_TRACK_RATE_DEFAULT,
            "BRAZE_TRACK_RATE",
        ),
        objects_per_request=int(objects),
        campaigns=parse_pairs(
            env.get("BRAZE_TRANSACTIONAL_CAMPAIGNS", ""), "BRAZE_TRANSACTIONAL_CAMPAIGNS"
        ),
        preference_topics=_preference_topics(
            env,
            "BRAZE_PREFERENCE_GROUPS",
            "offers=<subscription group id>,reminders=<subscription group id>",
        ),
    )
    return _settings("braze", _url(env, "BRAZE_BASE_URL", base), key, options, overrides)


def mailchimp_settings(
    env: Mapping[str, str] | None = None, **overrides: object
) -> DestinationSettings:
    """Mailchimp from ``MAILCHIMP_API_KEY`` (``<key>-<dc>``: the data center picks
    ``https://<dc>.api.mailchimp.com/3.0``) or ``MAILCHIMP_BASE_URL`` when set;
    ``MAILCHIMP_AUDIENCE_ID``: the audience triggered sends go to;
    ``MAILCHIMP_REPORT_CAMPAIGNS`` (``<trigger_key>=<campaign id>,…``): the Customer Journey
    email of each trigger, whose email activity the engagement pull reads."""
    env = os.environ if env is None else env
    key = _required(
        env,
        "MAILCHIMP_API_KEY",
        "Export a Mailchimp Marketing API key (export MAILCHIMP_API_KEY=<key>-us21).",
    )
    base = env.get("MAILCHIMP_BASE_URL", "").strip()
    if not base:
        _, dash, dc = key.rpartition("-")
        if not dash or not dc.isalnum():
            raise ConfigurationError(
                "MAILCHIMP_API_KEY has no data-center suffix (keys look like '<key>-us21'); "
                "use the full key, or export MAILCHIMP_BASE_URL=https://<dc>.api.mailchimp.com/3.0."
            )
        base = f"https://{dc}.api.mailchimp.com/3.0"
    options = EspOptions(
        audience_id=env.get("MAILCHIMP_AUDIENCE_ID", "").strip() or None,
        report_campaigns=_report_campaigns(env, "MAILCHIMP_REPORT_CAMPAIGNS"),
    )
    return _settings("mailchimp", _url(env, "MAILCHIMP_BASE_URL", base), key, options, overrides)


def customerio_settings(
    env: Mapping[str, str] | None = None, **overrides: object
) -> DestinationSettings:
    """Customer.io Track API from ``CUSTOMERIO_SITE_ID`` and ``CUSTOMERIO_API_KEY``;
    ``CUSTOMERIO_TRACK_URL`` (default https://track.customer.io, e.g. track-eu for the EU
    region) and ``CUSTOMERIO_TRACK_RATE`` (default 100/1s). The engagement pull reads the
    App API: ``CUSTOMERIO_APP_API_KEY`` (a key with reporting access), ``CUSTOMERIO_APP_URL``
    (default https://api.customer.io; api-eu for the EU region) and
    ``CUSTOMERIO_REPORT_CAMPAIGNS`` (``<trigger_key>=<campaign id>,…``). The preference
    read-back also reads the App API: ``CUSTOMERIO_PREFERENCE_TOPICS`` (``<nudge
    topic>=<subscription center topic id>,…``, the ids of the subscription center's topics)."""
    env = os.environ if env is None else env
    site_id = _required(
        env,
        "CUSTOMERIO_SITE_ID",
        "Export the Track API site id of your workspace (export CUSTOMERIO_SITE_ID=...).",
    )
    key = _required(
        env,
        "CUSTOMERIO_API_KEY",
        "Export the Track API key of your workspace (export CUSTOMERIO_API_KEY=...).",
    )
    base = env.get("CUSTOMERIO_TRACK_URL", "").strip() or CUSTOMERIO_DEFAULT_TRACK_URL
    app_key = env.get("CUSTOMERIO_APP_API_KEY", "").strip()
    options = EspOptions(
        username=site_id,
        write_rate=parse_rate(
            env.get("CUSTOMERIO_TRACK_RATE", "").strip() or CUSTOMERIO_TRACK_RATE_DEFAULT,
            "CUSTOMERIO_TRACK_RATE",
        ),
        report_campaigns=_report_campaigns(env, "CUSTOMERIO_REPORT_CAMPAIGNS"),
        app_url=_url(
            env,
            "CUSTOMERIO_APP_URL",
            env.get("CUSTOMERIO_APP_URL", "").strip() or CUSTOMERIO_DEFAULT_APP_URL,
        ),
        app_api_key=Secret(app_key) if app_key else None,
        preference_topics=_preference_topics(
            env, "CUSTOMERIO_PREFERENCE_TOPICS", "offers=3,reminders=1", _subscription_center_topic
        ),
    )
    return _settings("customerio", _url(env, "CUSTOMERIO_TRACK_URL", base), key, options, overrides)


def _subscription_center_topic(esp_id: str, variable: str) -> str:
    """A subscription center topic id (``3``, or ``topic_3`` as the attribute names it) as
    ``cio_subscription_preferences`` keys it: ``topic_3``."""
    number = esp_id.removeprefix("topic_")
    if not number.isdigit():
        raise ConfigurationError(
            f"{variable}: {esp_id!r} is not a subscription center topic id; use the number "
            "shown beside the topic in Customer.io's Subscription Center (e.g. 'offers=3')."
        )
    return f"topic_{int(number)}"


WEBHOOK_INSECURE_HTTP_OPT_IN = "NUDGE_WEBHOOK_ALLOW_INSECURE_HTTP"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def require_secure_webhook_url(url: str, allow_insecure_http: bool) -> None:
    """Refuse a plain ``http://`` webhook to another machine: the batches (addresses,
    profiles) and their signatures would cross the network readable and replayable by
    anyone on the way. This machine, or an explicit opt-in, is allowed."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "http" or allow_insecure_http or parts.hostname in LOCAL_HOSTS:
        return
    raise ConfigurationError(
        f"NUDGE_WEBHOOK_URL is plain http:// to {parts.hostname!r}, so the batches would "
        "travel unencrypted. Use an https:// URL, or, only on a network you trust, export "
        f"{WEBHOOK_INSECURE_HTTP_OPT_IN}=true."
    )


def _flag(env: Mapping[str, str], variable: str) -> bool:
    value = env.get(variable, "").strip().lower()
    if value in ("", "false", "0", "no"):
        return False
    if value in ("true", "1", "yes"):
        return True
    raise ConfigurationError(f"{variable} must be true or false, got {value!r}.")


def webhook_settings(
    env: Mapping[str, str] | None = None, **overrides: object
) -> DestinationSettings:
    """The generic webhook: ``NUDGE_WEBHOOK_URL`` (batches are POSTed there: https://, or
    http:// to this machine, or anywhere with ``NUDGE_WEBHOOK_ALLOW_INSECURE_HTTP=true``)
    and ``NUDGE_WEBHOOK_SECRET`` (the HMAC-SHA256 signing key)."""
    env = os.environ if env is None else env
    url = _url(
        env,
        "NUDGE_WEBHOOK_URL",
        _required(
            env,
            "NUDGE_WEBHOOK_URL",
            "Export the URL that receives the batches (export NUDGE_WEBHOOK_URL=https://...).",
        ),
    )
    options = EspOptions(allow_insecure_http=_flag(env, WEBHOOK_INSECURE_HTTP_OPT_IN))
    require_secure_webhook_url(url, options.allow_insecure_http)
    secret = _required(
        env,
        "NUDGE_WEBHOOK_SECRET",
        "Export the shared signing secret the receiver checks (export NUDGE_WEBHOOK_SECRET=...).",
    )
    return _settings("webhook", url, secret, options, overrides)


SETTINGS_FROM_ENV = {
    "klaviyo": klaviyo_settings,
    "braze": braze_settings,
    "mailchimp": mailchimp_settings,
    "customerio": customerio_settings,
    "webhook": webhook_settings,
}


def destination_settings(
    destination: str, env: Mapping[str, str] | None = None, **overrides: object
) -> DestinationSettings:
    """Settings for ``destination`` from the environment."""
    try:
        from_env = SETTINGS_FROM_ENV[destination]
    except KeyError:
        known = ", ".join(sorted(SETTINGS_FROM_ENV))
        raise ConfigurationError(
            f"no settings for destination {destination!r}; known destinations: {known}"
        ) from None
    return from_env(env, **overrides)
