"""The framework every ESP sandbox is built on: one WSGI pipeline (``app``), one request log,
one fault model, one rate limiter, one body cap, one auth hook and one runner. See
CONTRIBUTING.md for adding a sandbox for a new ESP."""

from .app import SandboxApp
from .faults import Fault
from .rate_limits import Budget, Decision, RateLimitConfig, Window
from .responses import Refused, json_response
from .runner import SandboxHandle, serve

__all__ = [
    "Budget",
    "Decision",
    "Fault",
    "RateLimitConfig",
    "Refused",
    "SandboxApp",
    "SandboxHandle",
    "Window",
    "json_response",
    "serve",
]
