"""A local Braze contract server (see ``app``): ``start_braze(api_key)`` -> handle."""

from __future__ import annotations

from ..framework import SandboxHandle
from .app import BrazeApp


def start_braze(api_key: str, **options: object) -> SandboxHandle:
    """Serve a fresh ``BrazeApp`` on a free loopback port; ``handle.app`` holds its state."""
    return SandboxHandle(BrazeApp(api_key, **options))  # type: ignore[arg-type]


__all__ = ["BrazeApp", "start_braze"]
