"""The campaigns a sandbox served from the environment sends: ``NUDGE_SANDBOX_CAMPAIGNS``
(``<event name>=<campaign id>,…``, e.g. ``Nudge Welcome=101``) names the events that send
a campaign's email, whose engagement the sandbox then simulates."""

from __future__ import annotations

import os
from collections.abc import Mapping

from ...settings import parse_pairs
from .engagement import EngagementConfig

CAMPAIGNS_VARIABLE = "NUDGE_SANDBOX_CAMPAIGNS"


def campaigns_from_env() -> dict[str, str]:
    """Event name -> campaign id."""
    value = os.environ.get(CAMPAIGNS_VARIABLE, "")
    return dict(parse_pairs(value, CAMPAIGNS_VARIABLE, "<event name>", "Nudge Welcome=101"))


def engagement_for(campaigns: Mapping[str, object]) -> EngagementConfig | None:
    """Simulated engagement (seed 0) when there are campaigns to send, else none."""
    return EngagementConfig() if campaigns else None
