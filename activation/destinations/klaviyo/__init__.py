"""Klaviyo: its client (client.py), settings (settings.py), declaration checks
(declaration.py) and engagement reader (engagement.py), declared by ``SPEC``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..spec import Capabilities, DestinationSpec, SandboxSpec
from .declaration import attribute_problem
from .settings import EXAMPLE_ENV, klaviyo_settings

if TYPE_CHECKING:
    from ...declarations import NudgeSync
    from ...engagement.readers import EngagementReader
    from ...settings import DestinationSettings
    from ..base import Destination


# the client and the reader are imported when one is built, not when declarations are read
def _client(settings: DestinationSettings, sync: NudgeSync | None) -> Destination:
    from .client import KlaviyoDestination

    return KlaviyoDestination(settings)


def _engagement(settings: DestinationSettings) -> EngagementReader:
    from .engagement import KlaviyoEngagement

    return KlaviyoEngagement(settings)


def _sandbox_env(base_url: str) -> dict[str, str]:
    return {"KLAVIYO_BASE_URL": base_url}


SPEC = DestinationSpec(
    name="klaviyo",
    settings_from_env=klaviyo_settings,
    example_env=EXAMPLE_ENV,
    client=_client,
    capabilities=Capabilities(
        idempotent_events=True,
        membership=True,
        suppressions=True,
        engagement=True,
        preferences=True,
    ),
    attribute_problem=attribute_problem,
    engagement_reader=_engagement,
    sandbox=SandboxSpec(f"{__name__}.sandbox", default_port=8765, client_env=_sandbox_env),
)
