"""The webhook's settings from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from ...errors import ConfigurationError
from ...settings import DestinationSettings, EspOptions, esp_settings, http_url, required

WEBHOOK_INSECURE_HTTP_OPT_IN = "NUDGE_WEBHOOK_ALLOW_INSECURE_HTTP"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class WebhookEnvOptions(EspOptions):
    """``NUDGE_WEBHOOK_ALLOW_INSECURE_HTTP``."""

    # may POST over plain http:// to a host other than this machine
    allow_insecure_http: bool = False


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
    url = http_url(
        env,
        "NUDGE_WEBHOOK_URL",
        required(
            env,
            "NUDGE_WEBHOOK_URL",
            "Export the URL that receives the batches (export NUDGE_WEBHOOK_URL=https://...).",
        ),
    )
    options = WebhookEnvOptions(allow_insecure_http=_flag(env, WEBHOOK_INSECURE_HTTP_OPT_IN))
    require_secure_webhook_url(url, options.allow_insecure_http)
    secret = required(
        env,
        "NUDGE_WEBHOOK_SECRET",
        "Export the shared signing secret the receiver checks (export NUDGE_WEBHOOK_SECRET=...).",
    )
    return esp_settings("webhook", url, secret, options, overrides)


# every variable webhook_settings reads, set (its URLs are every host it calls)
EXAMPLE_ENV = {
    "NUDGE_WEBHOOK_URL": "https://hooks.example.com/nudge",
    "NUDGE_WEBHOOK_SECRET": "example-signing-secret",
}
