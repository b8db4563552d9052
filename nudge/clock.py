"""Instants as the models see them: naive UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def start_of_today_utc() -> datetime:
    now = datetime.now(UTC)
    return datetime(now.year, now.month, now.day)


def parse_instant(text: str) -> datetime:
    """'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM[:SS]' (UTC) → naive datetime; a clear error otherwise."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise ValueError(
            f"{text!r} is not an instant: use 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS' (UTC)"
        ) from error
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed
