"""Destinations: one folder per ESP behind ``base.Destination``, each declared by a
``spec.DestinationSpec`` listed in ``registry.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..settings import DestinationSettings
from .base import Destination
from .registry import spec_for

if TYPE_CHECKING:
    from ..declarations import NudgeSync


def build_destination(settings: DestinationSettings, sync: NudgeSync | None = None) -> Destination:
    """The destination client for ``settings.destination``, with the declaration's
    destination block (``mailchimp: {audience_id: …}``, …) when ``sync`` is given."""
    return spec_for(settings.destination).client(settings, sync)


__all__ = ["Destination", "build_destination"]
