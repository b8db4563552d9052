"""Customer.io's App API (``CUSTOMERIO_APP_URL``, Bearer ``CUSTOMERIO_APP_API_KEY``): what
the Track API cannot do, reading people and messages back. One budget of 10 requests a
second for every App API call of a workspace."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from ...errors import ConfigurationError
from ...http import ApiClient
from ...ratelimit import EndpointLimit, Window
from ...settings import DestinationSettings, options_of
from ..common import api_client, bearer
from .settings import CUSTOMERIO_DEFAULT_APP_URL, CustomerioEnvOptions

APP_API_RATE = Window(10, 1.0)
APP_API_LIMITS = tuple(
    EndpointLimit("app", method, "/v1/.*", (APP_API_RATE,)) for method in ("GET", "POST")
)


def app_api_client(
    settings: DestinationSettings,
    reads: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[DestinationSettings, ApiClient]:
    """The App API's settings and client; ``reads`` says what for, in the error raised when
    no App API key is set."""
    options = options_of(settings, CustomerioEnvOptions)
    key = options.app_api_key
    if key is None:
        raise ConfigurationError(
            f"CUSTOMERIO_APP_API_KEY is not set. Customer.io's {reads} read through its App "
            "API, which the Track API key cannot use: export an App API key with "
            "reporting access (export CUSTOMERIO_APP_API_KEY=...)."
        )
    app = replace(settings, base_url=options.app_url or CUSTOMERIO_DEFAULT_APP_URL, api_key=key)
    return app, api_client(app, bearer(key.reveal()), APP_API_LIMITS, sleep=sleep)
