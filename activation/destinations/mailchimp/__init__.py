"""Mailchimp: its client (client.py), settings (settings.py), declaration options
(declaration.py) and engagement reader (engagement.py), declared by ``SPEC``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...settings import options_of
from ..spec import Capabilities, DestinationSpec, SandboxSpec
from .declaration import EXAMPLES, MailchimpOptions, attribute_problem, declaration_problems
from .settings import EXAMPLE_ENV, MailchimpEnvOptions, mailchimp_settings

if TYPE_CHECKING:
    from ...declarations import NudgeSync
    from ...engagement.readers import EngagementReader
    from ...settings import DestinationSettings
    from ..base import Destination

NO_PREFERENCES = (
    "Mailchimp's preference choices (its groups and update-profile page) are not read back: "
    "send topic and frequency choices from the preference center that feeds the warehouse, "
    "as the raw contract's Email Preferences Updated events; unsubscribes made in Mailchimp "
    "still come back through the suppression read-back."
)


def _client(settings: DestinationSettings, sync: NudgeSync | None) -> Destination:
    from .client import MailchimpDestination

    options = sync.destination_options() if sync else None
    # triggered sends go to the environment's audience, a sync to its declaration's
    audience: str | None = options_of(settings, MailchimpEnvOptions).audience_id
    status = "subscribed"
    if isinstance(options, MailchimpOptions):
        audience, status = options.audience_id, options.member_status
    return MailchimpDestination(settings, audience_id=audience, member_status=status)


def _engagement(settings: DestinationSettings) -> EngagementReader:
    from .engagement import MailchimpEngagement

    return MailchimpEngagement(settings)


def _sandbox_env(base_url: str) -> dict[str, str]:
    return {"MAILCHIMP_BASE_URL": f"{base_url}/3.0"}  # its routes are under /3.0, as Mailchimp's


SPEC = DestinationSpec(
    name="mailchimp",
    settings_from_env=mailchimp_settings,
    example_env=EXAMPLE_ENV,
    client=_client,
    capabilities=Capabilities(
        idempotent_events=False,
        membership=True,
        suppressions=True,
        engagement=True,
        preferences=False,
    ),
    options=MailchimpOptions,
    attribute_problem=attribute_problem,
    declaration_problems=declaration_problems,
    examples=EXAMPLES,
    engagement_reader=_engagement,
    sandbox=SandboxSpec(f"{__name__}.sandbox", default_port=8767, client_env=_sandbox_env),
    no_preferences=NO_PREFERENCES,
)
