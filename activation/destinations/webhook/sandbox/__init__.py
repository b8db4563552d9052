"""A local receiver for the signed webhook (see ``app``): ``start_webhook_receiver(secret)``
-> handle; POST to ``handle.base_url + "/hooks/nudge"``."""

from __future__ import annotations

from ..framework import SandboxHandle
from .app import WebhookReceiverApp


def start_webhook_receiver(secret: str, **options: object) -> SandboxHandle:
    return SandboxHandle(WebhookReceiverApp(secret, **options))  # type: ignore[arg-type]


__all__ = ["WebhookReceiverApp", "start_webhook_receiver"]
