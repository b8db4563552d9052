"""Customer.io's settings from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ...errors import ConfigurationError
from ...preference_topics import TopicMap
from ...ratelimit import Window
from ...settings import (
    DestinationSettings,
    EspOptions,
    Secret,
    esp_settings,
    http_url,
    parse_rate,
    preference_topics,
    report_campaigns,
    required,
)

CUSTOMERIO_TRACK_RATE_DEFAULT = "100/1s"  # (conflicting) 1,000 / s elsewhere
CUSTOMERIO_DEFAULT_TRACK_URL = "https://track.customer.io"
CUSTOMERIO_DEFAULT_APP_URL = "https://api.customer.io"


@dataclass(frozen=True)
class CustomerioEnvOptions(EspOptions):
    """``CUSTOMERIO_SITE_ID``, ``CUSTOMERIO_TRACK_RATE`` and the App API's variables."""

    username: str | None = None  # HTTP Basic user: the site id
    write_rate: Window | None = None
    # trigger_key -> the campaign that emails it, whose messages the engagement pull reads
    report_campaigns: tuple[tuple[str, str], ...] = ()
    # the App API (reporting, the preference read-back), apart from the Track API
    app_url: str | None = None
    app_api_key: Secret | None = None
    # subscription center topic (topic_<n>) -> Nudge email topic (empty: not read back)
    preference_topics: TopicMap = ()

    def secrets(self) -> tuple[Secret, ...]:
        return () if self.app_api_key is None else (self.app_api_key,)


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
    site_id = required(
        env,
        "CUSTOMERIO_SITE_ID",
        "Export the Track API site id of your workspace (export CUSTOMERIO_SITE_ID=...).",
    )
    key = required(
        env,
        "CUSTOMERIO_API_KEY",
        "Export the Track API key of your workspace (export CUSTOMERIO_API_KEY=...).",
    )
    base = env.get("CUSTOMERIO_TRACK_URL", "").strip() or CUSTOMERIO_DEFAULT_TRACK_URL
    app_key = env.get("CUSTOMERIO_APP_API_KEY", "").strip()
    options = CustomerioEnvOptions(
        username=site_id,
        write_rate=parse_rate(
            env.get("CUSTOMERIO_TRACK_RATE", "").strip() or CUSTOMERIO_TRACK_RATE_DEFAULT,
            "CUSTOMERIO_TRACK_RATE",
        ),
        report_campaigns=report_campaigns(env, "CUSTOMERIO_REPORT_CAMPAIGNS"),
        app_url=http_url(
            env,
            "CUSTOMERIO_APP_URL",
            env.get("CUSTOMERIO_APP_URL", "").strip() or CUSTOMERIO_DEFAULT_APP_URL,
        ),
        app_api_key=Secret(app_key) if app_key else None,
        preference_topics=preference_topics(
            env, "CUSTOMERIO_PREFERENCE_TOPICS", "offers=3,reminders=1", _subscription_center_topic
        ),
    )
    return esp_settings(
        "customerio", http_url(env, "CUSTOMERIO_TRACK_URL", base), key, options, overrides
    )


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


# every variable customerio_settings reads, set (its URLs are every host it calls)
EXAMPLE_ENV = {
    "CUSTOMERIO_SITE_ID": "example-site",
    "CUSTOMERIO_API_KEY": "example-track-key",
    "CUSTOMERIO_TRACK_URL": "https://track.customer.io",
    "CUSTOMERIO_APP_URL": "https://api.customer.io",
    "CUSTOMERIO_APP_API_KEY": "example-app-key",
    "CUSTOMERIO_REPORT_CAMPAIGNS": "welcome=2",
    "CUSTOMERIO_PREFERENCE_TOPICS": "offers=3",
}
