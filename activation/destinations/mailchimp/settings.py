"""Mailchimp's settings from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ...errors import ConfigurationError
from ...settings import (
    DestinationSettings,
    EspOptions,
    esp_settings,
    http_url,
    report_campaigns,
    required,
)


@dataclass(frozen=True)
class MailchimpEnvOptions(EspOptions):
    """``MAILCHIMP_AUDIENCE_ID``, ``MAILCHIMP_REPORT_CAMPAIGNS``."""

    # the audience triggered sends go to (a sync names its own in its declaration)
    audience_id: str | None = None
    # trigger_key -> the Customer Journey email's campaign, whose report engagement is read from
    report_campaigns: tuple[tuple[str, str], ...] = ()


def mailchimp_settings(
    env: Mapping[str, str] | None = None, **overrides: object
) -> DestinationSettings:
    """Mailchimp from ``MAILCHIMP_API_KEY`` (``<key>-<dc>``: the data center picks
    ``https://<dc>.api.mailchimp.com/3.0``) or ``MAILCHIMP_BASE_URL`` when set;
    ``MAILCHIMP_AUDIENCE_ID``: the audience triggered sends go to;
    ``MAILCHIMP_REPORT_CAMPAIGNS`` (``<trigger_key>=<campaign id>,…``): the Customer Journey
    email of each trigger, whose email activity the engagement pull reads."""
    env = os.environ if env is None else env
    key = required(
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
    options = MailchimpEnvOptions(
        audience_id=env.get("MAILCHIMP_AUDIENCE_ID", "").strip() or None,
        report_campaigns=report_campaigns(env, "MAILCHIMP_REPORT_CAMPAIGNS"),
    )
    return esp_settings(
        "mailchimp", http_url(env, "MAILCHIMP_BASE_URL", base), key, options, overrides
    )


# every variable mailchimp_settings reads, set (its URLs are every host it calls)
EXAMPLE_ENV = {
    "MAILCHIMP_API_KEY": "example-us21",
    "MAILCHIMP_BASE_URL": "https://us21.api.mailchimp.com/3.0",
    "MAILCHIMP_AUDIENCE_ID": "a1b2c3d4e5",
    "MAILCHIMP_REPORT_CAMPAIGNS": "welcome=9c2d",
}
