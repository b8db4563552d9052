"""The framework every ESP sandbox is built on: one WSGI pipeline (``app``), one request log,
one fault model, one rate limiter, one body cap, one auth hook, one runner and one
simulated engagement (``engagement``; ``campaigns`` for sandboxes served from the
environment). Each ESP's sandbox lives in its destination's folder
(``activation/destinations/<esp>/sandbox/``); see CONTRIBUTING.md for adding one."""

from .app import SandboxApp
from .engagement import EngagementConfig
from .faults import Fault
from .rate_limits import Budget, Decision, RateLimitConfig, Window
from .responses import Refused, json_response
from .runner import SandboxHandle, serve

__all__ = [
    "Budget",
    "Decision",
    "EngagementConfig",
    "Fault",
    "RateLimitConfig",
    "Refused",
    "SandboxApp",
    "SandboxHandle",
    "Window",
    "json_response",
    "serve",
]
