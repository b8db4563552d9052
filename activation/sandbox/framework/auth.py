"""Reading the credentials a request presents; each sandbox decides what it accepts and
answers a refusal in its vendor's shape. Secrets are compared in constant time."""

from __future__ import annotations

import base64
import binascii
import hmac

from werkzeug.wrappers import Request


def presented_key(request: Request, scheme: str) -> str | None:
    """The token after ``Authorization: <scheme> ``, None for another scheme or none."""
    given, _, token = request.headers.get("Authorization", "").partition(" ")
    return token if given == scheme else None


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """(user, password) of ``Authorization: Basic``, None when absent or undecodable."""
    encoded = presented_key(request, "Basic")
    if encoded is None:
        return None
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


def same_secret(given: str | None, expected: str) -> bool:
    """Whether ``given`` is the (non-empty) ``expected`` secret."""
    return (
        bool(expected)
        and given is not None
        and hmac.compare_digest(given.encode(), expected.encode())
    )
