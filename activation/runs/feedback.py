"""The ESP feedback pull: suppressions and preference changes made in the ESP read back into
the warehouse, and the sends' email engagement where the ESP lets it be read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..destinations.registry import SPECS_BY_NAME
from ..engagement import EngagementPullResult, pull_engagement
from ..preference_readback import PreferenceReadbackResult, read_back_preferences
from ..sends import ReadbackResult, read_back_suppressions
from ..settings import DestinationSettings


@dataclass(frozen=True)
class ReadBack:
    """What the read-back before the sends landed: suppressions and preference changes."""

    suppressions: ReadbackResult
    preferences: PreferenceReadbackResult


@dataclass(frozen=True)
class FeedbackPull:
    """The read-back, and the engagement pulled or the reason none can be."""

    read_back: ReadBack
    engagement: EngagementPullResult | None
    no_engagement: str | None


def read_back(warehouse: str | Path, settings: DestinationSettings) -> ReadBack:
    return ReadBack(
        read_back_suppressions(warehouse, settings), read_back_preferences(warehouse, settings)
    )


def no_engagement_reason(destination: str) -> str | None:
    """Why the destination's engagement cannot be pulled; None when it can."""
    spec = SPECS_BY_NAME.get(destination)
    if spec is not None and spec.capabilities.engagement:
        return None
    return (spec and spec.no_engagement) or f"no engagement read-back for {destination}"


def pull_feedback(warehouse: str | Path, settings: DestinationSettings) -> FeedbackPull:
    """The read-back, then the engagement where the destination has it."""
    landed = read_back(warehouse, settings)
    reason = no_engagement_reason(settings.destination)
    engagement = pull_engagement(warehouse, settings) if reason is None else None
    return FeedbackPull(landed, engagement, reason)
