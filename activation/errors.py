"""Errors the activation engine raises. Messages never contain secrets."""

from __future__ import annotations


class ActivationError(Exception):
    """Base class for activation errors."""


class ConfigurationError(ActivationError):
    """A setting is missing or wrong (e.g. no API key in the environment)."""


class DeclarationError(ActivationError):
    """A sync declaration (a dbt exposure's ``meta.nudge_sync``) is invalid."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class DestinationError(ActivationError):
    """A destination API call failed for good (after retries, or not retryable)."""

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = False):
        super().__init__(message)
        self.status = status
        self.retryable = retryable
