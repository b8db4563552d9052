"""A local Klaviyo: a real HTTP server on loopback implementing the subset of Klaviyo's API
(revision 2026-07-15) that Nudge uses, validated against Klaviyo's official OpenAPI spec,
built on the sandbox framework as every ESP's sandbox is.

    handle = start_sandbox(api_key="sandbox-key")
    ...  # point KLAVIYO_BASE_URL at handle.base_url
    handle.stop()
"""

from ....sandbox.framework import EngagementConfig, Fault, RateLimitConfig
from .server import SandboxHandle, from_settings, serve, start_sandbox

__all__ = [
    "EngagementConfig",
    "Fault",
    "RateLimitConfig",
    "SandboxHandle",
    "from_settings",
    "serve",
    "start_sandbox",
]
