"""The destinations Nudge knows: one spec per ESP folder. Adding a destination is its folder
and one line here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from ..errors import ConfigurationError
from ..settings import DestinationSettings
from .braze import SPEC as BRAZE
from .customerio import SPEC as CUSTOMERIO
from .klaviyo import SPEC as KLAVIYO
from .mailchimp import SPEC as MAILCHIMP
from .spec import DestinationSpec
from .webhook import SPEC as WEBHOOK

SPECS: tuple[DestinationSpec, ...] = (KLAVIYO, BRAZE, MAILCHIMP, CUSTOMERIO, WEBHOOK)

DESTINATIONS = tuple(spec.name for spec in SPECS)
SPECS_BY_NAME: Mapping[str, DestinationSpec] = MappingProxyType({s.name: s for s in SPECS})
SETTINGS_FROM_ENV: Mapping[str, Callable[..., DestinationSettings]] = MappingProxyType(
    {spec.name: spec.settings_from_env for spec in SPECS}
)


def destinations_with(capability: str) -> tuple[str, ...]:
    """The destinations whose spec claims ``capability`` (a ``Capabilities`` field)."""
    return tuple(spec.name for spec in SPECS if getattr(spec.capabilities, capability))


def spec_for(destination: str) -> DestinationSpec:
    try:
        return SPECS_BY_NAME[destination]
    except KeyError:
        raise ConfigurationError(
            f"unknown destination {destination!r}; known: {', '.join(DESTINATIONS)}"
        ) from None


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
