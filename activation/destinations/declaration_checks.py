"""Declaration checks several destinations share; each destination's own are in its folder."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..declarations import NudgeSync


def attributes_of(destination: str, allowed: frozenset[str]) -> Callable[[str], str | None]:
    """An attribute check accepting only ``allowed`` (the rest go under fields.properties)."""

    def problem(name: str) -> str | None:
        if name in allowed:
            return None
        return (
            f"is not a {destination} profile attribute; use one of {', '.join(sorted(allowed))}, "
            f"or map it under fields.properties"
        )

    return problem


def external_id_problems(where: str, config: NudgeSync) -> list[str]:
    """For destinations that address users by their id."""
    if config.external_id is not None:
        return []
    return [
        f"{where}.external_id is required for destination {config.destination}: users are "
        f"addressed by their id there (e.g. external_id: {{column: contact_id}})"
    ]
