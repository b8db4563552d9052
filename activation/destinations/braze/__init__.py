"""Braze: its client (client.py, with preferences.py reading subscription groups back),
settings (settings.py) and declaration options (declaration.py), declared by ``SPEC``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..declaration_checks import external_id_problems
from ..spec import Capabilities, DestinationSpec, SandboxSpec
from .declaration import BrazeOptions, attribute_problem
from .settings import (
    EXAMPLE_ENV,
    TRANSACTIONAL_DEDUPLICATION_WINDOW,
    braze_settings,
    transactional_events,
)

if TYPE_CHECKING:
    from ...declarations import NudgeSync
    from ...settings import DestinationSettings
    from ..base import Destination

NO_ENGAGEMENT = (
    "Braze has no API to read message engagement back: it streams it out through "
    "Currents. Connect a Currents export to your warehouse and land its "
    "users.messages.email.* events (Delivery, Open, Click, Bounce, SoftBounce, "
    "MarkAsSpam, Unsubscribe) in raw.events as the raw contract's ESP feedback events, "
    "with the send_key Nudge sends as the campaign's trigger property (README, "
    "Measurement). There is nothing for `nudge pull` to read from Braze."
)


def _client(settings: DestinationSettings, sync: NudgeSync | None) -> Destination:
    from .client import DEFAULT_MEMBERSHIP_ATTRIBUTE, BrazeDestination

    options = sync.destination_options() if sync else None
    attribute = (
        options.membership_attribute
        if isinstance(options, BrazeOptions)
        else DEFAULT_MEMBERSHIP_ATTRIBUTE
    )
    return BrazeDestination(settings, membership_attribute=attribute)


def _sandbox_env(base_url: str) -> dict[str, str]:
    return {"BRAZE_BASE_URL": base_url}


SPEC = DestinationSpec(
    name="braze",
    settings_from_env=braze_settings,
    example_env=EXAMPLE_ENV,
    client=_client,
    # events go through transactional campaigns (de-duplicated 24 h) only when
    # BRAZE_TRANSACTIONAL_CAMPAIGNS names them: idempotent then, not in general
    capabilities=Capabilities(
        idempotent_events=False,
        membership=True,
        suppressions=True,
        engagement=False,
        preferences=True,
    ),
    options=BrazeOptions,
    attribute_problem=attribute_problem,
    declaration_problems=external_id_problems,
    no_engagement=NO_ENGAGEMENT,
    sandbox=SandboxSpec(f"{__name__}.sandbox", default_port=8766, client_env=_sandbox_env),
    idempotent_events_when=transactional_events,
    deduplication_window=TRANSACTIONAL_DEDUPLICATION_WINDOW,
)
