"""Which destination a run talks to: any destination's settings by name, and the one ESP the
triggered sends (and so the feedback pull) go to."""

from __future__ import annotations

import os

from ..destinations.registry import destination_settings

__all__ = ["destination_settings", "sends_destination"]

SENDS_DESTINATION_ENV = "NUDGE_SENDS_DESTINATION"


def sends_destination() -> str:
    """Triggered sends go to one ESP: ``NUDGE_SENDS_DESTINATION`` (default klaviyo)."""
    return os.environ.get(SENDS_DESTINATION_ENV, "").strip() or "klaviyo"
