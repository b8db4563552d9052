"""Quiet hours in the contact's own time zone (the send-time twin of
macros/triggers/quiet_hours.sql): between ``start`` and ``end`` o'clock local no email
leaves; a send caught inside them waits until ``end``:00 local, and the time it waits does
not count as lateness. Wall-clock arithmetic in the zone, so a DST change in between moves
the UTC instant, as in the model. Instants are naive UTC."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@lru_cache(maxsize=1024)
def zone(name: str | None) -> ZoneInfo:
    """The IANA zone, or UTC when unknown (as int_contact_timezones_resolved resolves it)."""
    try:
        return ZoneInfo((name or "UTC").strip() or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(instant: datetime, timezone: str | None) -> datetime:
    """A naive UTC instant as an aware local time in ``timezone``."""
    return instant.replace(tzinfo=UTC).astimezone(zone(timezone))


def in_quiet_hours(hour: int, start: int, end: int) -> bool:
    if start == end:
        return False
    if start > end:  # across midnight, e.g. 21 -> 8
        return hour >= start or hour < end
    return start <= hour < end


def quiet_until(instant: datetime, timezone: str | None, start: int, end: int) -> datetime | None:
    """When the quiet hours holding the naive UTC ``instant`` end (naive UTC), or None when
    the instant is not in quiet hours."""
    local = local_time(instant, timezone)
    if not in_quiet_hours(local.hour, start, end):
        return None
    end_day = local.date()
    if start > end and local.hour >= start:
        end_day += timedelta(days=1)
    local_end = datetime.combine(end_day, time(end), tzinfo=local.tzinfo)
    return local_end.astimezone(UTC).replace(tzinfo=None)


def quiet_windows(
    start_utc: datetime, end_utc: datetime, timezone: str | None, start: int, end: int
) -> Iterator[tuple[datetime, datetime]]:
    """The quiet-hours windows (naive UTC) that overlap [start_utc, end_utc], in order."""
    if start == end or end_utc <= start_utc:
        return
    tz = zone(timezone)
    first = local_time(start_utc, timezone).date() - timedelta(days=1)
    last = local_time(end_utc, timezone).date()
    day = first
    while day <= last:
        window_end_day = day + timedelta(days=1) if start > end else day
        opens = datetime.combine(day, time(start), tzinfo=tz).astimezone(UTC)
        closes = datetime.combine(window_end_day, time(end), tzinfo=tz).astimezone(UTC)
        opens, closes = opens.replace(tzinfo=None), closes.replace(tzinfo=None)
        if opens < end_utc and closes > start_utc:
            yield max(opens, start_utc), min(closes, end_utc)
        day += timedelta(days=1)


def quiet_time_between(
    start_utc: datetime, end_utc: datetime, timezone: str | None, start: int, end: int
) -> timedelta:
    """How much of [start_utc, end_utc] falls in the zone's quiet hours."""
    return sum(
        (
            closes - opens
            for opens, closes in quiet_windows(start_utc, end_utc, timezone, start, end)
        ),
        timedelta(0),
    )
