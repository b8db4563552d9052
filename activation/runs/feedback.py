"""The ESP feedback pull: suppressions and preference changes made in the ESP read back into
the warehouse, and the sends' email engagement where the ESP lets it be read. What is read
from a destination follows its spec's capabilities: one without suppressions, preferences
or engagement is not asked, and the result says why (the spec's no_* text)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..destinations import registry
from ..engagement import EngagementPullResult, pull_engagement
from ..preference_readback import PreferenceReadbackResult, read_back_preferences
from ..sends import ReadbackResult, read_back_suppressions
from ..settings import DestinationSettings


@dataclass(frozen=True)
class ReadBack:
    """What the read-back before the sends landed: suppressions and preference changes, each
    None when the destination has none to read back, with the reason beside it."""

    suppressions: ReadbackResult | None
    preferences: PreferenceReadbackResult | None
    no_suppressions: str | None = None
    no_preferences: str | None = None

    def summary(self) -> str:
        """One line for a log: what landed, or why a kind was not read back."""
        suppressions = (
            f"{self.suppressions.new} new suppressions"
            if self.suppressions is not None
            else f"no suppressions read back ({self.no_suppressions})"
        )
        preferences = (
            f"{self.preferences.landed_events} preference changes"
            if self.preferences is not None
            else f"no preferences read back ({self.no_preferences})"
        )
        return f"{suppressions}, {preferences}"


@dataclass(frozen=True)
class FeedbackPull:
    """The read-back, and the engagement pulled or the reason none can be."""

    read_back: ReadBack
    engagement: EngagementPullResult | None
    no_engagement: str | None


def read_back(warehouse: str | Path, settings: DestinationSettings) -> ReadBack:
    """Read back what the destination's capabilities say it has. A read-back that fails
    raises (so the sends that follow it do not run)."""
    no_suppressions = no_suppressions_reason(settings.destination)
    no_preferences = no_preferences_reason(settings.destination)
    suppressions = None if no_suppressions else read_back_suppressions(warehouse, settings)
    preferences = None if no_preferences else read_back_preferences(warehouse, settings)
    return ReadBack(suppressions, preferences, no_suppressions, no_preferences)


def _reason_without(destination: str, capability: str) -> str | None:
    """None when the destination's spec claims ``capability`` (a Capabilities field), else
    why not: the spec's ``no_<capability>`` text."""
    spec = registry.SPECS_BY_NAME.get(destination)
    if spec is not None and getattr(spec.capabilities, capability):
        return None
    reason: str | None = getattr(spec, f"no_{capability}", None)
    return reason or f"no {capability} read-back for {destination}"


def no_suppressions_reason(destination: str) -> str | None:
    """Why suppressions made in the destination are not read back; None when they are."""
    return _reason_without(destination, "suppressions")


def no_preferences_reason(destination: str) -> str | None:
    """Why preference choices made in the destination are not read back; None when they are."""
    return _reason_without(destination, "preferences")


def no_engagement_reason(destination: str) -> str | None:
    """Why the destination's engagement cannot be pulled; None when it can."""
    return _reason_without(destination, "engagement")


def pull_feedback(warehouse: str | Path, settings: DestinationSettings) -> FeedbackPull:
    """The read-back, then the engagement where the destination has it."""
    landed = read_back(warehouse, settings)
    reason = no_engagement_reason(settings.destination)
    engagement = pull_engagement(warehouse, settings) if reason is None else None
    return FeedbackPull(landed, engagement, reason)
