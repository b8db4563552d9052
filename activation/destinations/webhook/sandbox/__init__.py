"""A local receiver for the signed webhook (see ``app``): ``start_webhook_receiver(secret)``
-> handle; POST to ``handle.base_url + "/hooks/nudge"``. ``from_settings`` serves the
client's settings (``python -m activation.destinations.webhook.sandbox``)."""

from __future__ import annotations

from ....sandbox.framework import SandboxHandle
from ....settings import DestinationSettings
from .app import WebhookReceiverApp


def from_settings(settings: DestinationSettings) -> WebhookReceiverApp:
    """The receiver the client with these settings signs for (NUDGE_WEBHOOK_SECRET)."""
    return WebhookReceiverApp(settings.api_key.reveal())


def start_webhook_receiver(secret: str, **options: object) -> SandboxHandle:
    return SandboxHandle(WebhookReceiverApp(secret, **options))  # type: ignore[arg-type]


__all__ = ["WebhookReceiverApp", "from_settings", "start_webhook_receiver"]
