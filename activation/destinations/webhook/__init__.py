"""The generic webhook: its client (client.py) and settings (settings.py), declared by
``SPEC``. What receivers implement: docs/webhook_contract.md."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..spec import Capabilities, DestinationSpec, SandboxSpec
from .settings import EXAMPLE_ENV, webhook_settings

if TYPE_CHECKING:
    from ...declarations import NudgeSync
    from ...settings import DestinationSettings
    from ..base import Destination

NO_ENGAGEMENT = (
    "the webhook destination hands the sends to your own sender, so the engagement is "
    "your sender's: land its deliveries, opens, clicks, bounces and complaints in "
    "raw.events as the raw contract's ESP feedback events, with the send_key of each "
    "batch row (README, Measurement). There is nothing for `nudge pull` to read."
)
NO_SUPPRESSIONS = (
    "the webhook destination only receives: land your sender's unsubscribes, hard bounces "
    "and spam complaints in raw.events as the raw contract's Unsubscribed (source 'esp'), "
    "Email Bounced (bounce_type 'hard') and Email Marked as Spam events; the send gate "
    "applies them from there."
)
NO_PREFERENCES = (
    "the webhook destination only receives: send the topic and frequency choices of your "
    "preference page to raw.events as the raw contract's Email Preferences Updated events."
)


def _client(settings: DestinationSettings, sync: NudgeSync | None) -> Destination:
    from .client import WebhookDestination

    return WebhookDestination(settings)


def _sandbox_env(base_url: str) -> dict[str, str]:
    return {"NUDGE_WEBHOOK_URL": f"{base_url}/hooks/nudge"}


SPEC = DestinationSpec(
    name="webhook",
    settings_from_env=webhook_settings,
    example_env=EXAMPLE_ENV,
    client=_client,
    # the receiver keeps one event per unique_id (docs/webhook_contract.md); a webhook only
    # receives, so nothing is read back
    capabilities=Capabilities(
        idempotent_events=True,
        membership=True,
        suppressions=False,
        engagement=False,
        preferences=False,
    ),
    no_engagement=NO_ENGAGEMENT,
    sandbox=SandboxSpec(f"{__name__}.sandbox", default_port=8769, client_env=_sandbox_env),
    no_suppressions=NO_SUPPRESSIONS,
    no_preferences=NO_PREFERENCES,
)
