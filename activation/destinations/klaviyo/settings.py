"""Klaviyo's settings from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping

from ...errors import ConfigurationError
from ...settings import DestinationSettings, Secret

KLAVIYO_DEFAULT_BASE_URL = "https://a.klaviyo.com"


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


# every variable klaviyo_settings reads, set (its URLs are every host it calls)
EXAMPLE_ENV = {"KLAVIYO_API_KEY": "pk_example", "KLAVIYO_BASE_URL": "https://a.klaviyo.com"}
