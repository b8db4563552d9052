"""Customer.io: its Track API client (client.py), App API (app_api.py) for the engagement
reader (engagement.py) and preference read-back (preferences.py), settings (settings.py) and
declaration options (declaration.py), declared by ``SPEC``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..spec import Capabilities, DestinationSpec, SandboxSpec
from .declaration import CustomerioOptions, declaration_problems, options_of, segment_options
from .settings import EXAMPLE_ENV, customerio_settings

if TYPE_CHECKING:
    from ...declarations import NudgeSync
    from ...engagement.readers import EngagementReader
    from ...settings import DestinationSettings
    from ..base import Destination

NO_SUPPRESSIONS = (
    "Customer.io's Track API cannot read people back, so unsubscribes, bounces and spam "
    "complaints made in Customer.io are not read back: land its reporting webhooks' "
    "unsubscribed, bounced and spammed metrics in raw.events as the raw contract's "
    "Unsubscribed (source 'esp'), hard Email Bounced and Email Marked as Spam events; the "
    "send gate applies them from there."
)


def _client(settings: DestinationSettings, sync: NudgeSync | None) -> Destination:
    from .client import CustomerioDestination

    options = options_of(sync) if sync else None
    return CustomerioDestination(settings, segment_id=options.segment_id if options else None)


def _engagement(settings: DestinationSettings) -> EngagementReader:
    from .engagement import CustomerioEngagement

    return CustomerioEngagement(settings)


def _sandbox_env(base_url: str) -> dict[str, str]:
    # the one server answers the Track API and the App API
    return {"CUSTOMERIO_TRACK_URL": base_url, "CUSTOMERIO_APP_URL": base_url}


SPEC = DestinationSpec(
    name="customerio",
    settings_from_env=customerio_settings,
    example_env=EXAMPLE_ENV,
    client=_client,
    # the Track API cannot read people back: unsubscribes made in Customer.io stay there
    capabilities=Capabilities(
        idempotent_events=True,
        membership=True,
        suppressions=False,
        engagement=True,
        preferences=True,
    ),
    options=CustomerioOptions,
    declaration_problems=declaration_problems,
    segment_options=segment_options,
    engagement_reader=_engagement,
    sandbox=SandboxSpec(f"{__name__}.sandbox", default_port=8768, client_env=_sandbox_env),
    no_suppressions=NO_SUPPRESSIONS,
)
