"""A local Customer.io Track API contract server (see ``app``):
``start_customerio(site_id, api_key, segments=(12,))`` -> handle."""

from __future__ import annotations

from ..framework import SandboxHandle
from .app import CustomerioApp


def start_customerio(site_id: str, api_key: str, **options: object) -> SandboxHandle:
    return SandboxHandle(CustomerioApp(site_id, api_key, **options))  # type: ignore[arg-type]


__all__ = ["CustomerioApp", "start_customerio"]
