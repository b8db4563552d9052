"""A local Mailchimp contract server (see ``app``): ``start_mailchimp(api_key)`` -> handle;
its base URL ends in ``/3.0`` like ``https://<dc>.api.mailchimp.com/3.0``."""

from __future__ import annotations

from ..framework import SandboxHandle
from .app import MailchimpApp


def start_mailchimp(api_key: str, **options: object) -> SandboxHandle:
    return SandboxHandle(MailchimpApp(api_key, **options))  # type: ignore[arg-type]


__all__ = ["MailchimpApp", "start_mailchimp"]
