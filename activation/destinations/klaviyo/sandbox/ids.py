"""Identifiers and timestamps in the formats Klaviyo uses."""

from __future__ import annotations

import base64
import secrets
import string
import time
from datetime import UTC, datetime

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LIST_ALPHABET = string.ascii_letters + string.digits


def ulid() -> str:
    """A 26-character ULID (48-bit millisecond time + 80 random bits), like profile ids."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def short_id(length: int = 6) -> str:
    """A short alphanumeric id, like list and metric ids (e.g. ``Y6nRLr``)."""
    return "".join(secrets.choice(_LIST_ALPHABET) for _ in range(length))


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    if not text.startswith("o:") or not text[2:].isdigit():
        return None
    return int(text[2:])
