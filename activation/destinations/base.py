"""The interface every destination implements. Destinations only speak their API for one
batch; batching, retries, rate limits and per-row error capture live in the engine.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from ..ratelimit import EndpointLimit


@dataclass(frozen=True)
class ProfileRecord:
    """One warehouse row, mapped for the destination."""

    record_key: str
    email: str | None
    external_id: str | None
    attributes: dict[str, Any]
    properties: dict[str, Any]


@dataclass(frozen=True)
class MemberRecord:
    """A row leaving (or joining) a list: its key and what the destination knows of it."""

    record_key: str
    email: str | None
    destination_ref: str | None = None


@dataclass(frozen=True)
class EventRecord:
    record_key: str
    metric: str
    email: str | None
    external_id: str | None
    properties: dict[str, Any]
    time: str
    value: float | None
    unique_id: str


@dataclass(frozen=True)
class SuppressionRecord:
    """An email marketing suppression made in the destination (an unsubscribe, bounce or
    complaint there), as ``read_suppressions`` returns it."""

    destination_ref: str  # the destination's own profile id
    email: str | None
    external_id: str | None
    # 'unsubscribed' | 'hard_bounce' | 'spam_complaint' | 'invalid_email' | 'user_suppressed'
    reason: str
    suppressed_at: datetime  # naive UTC


@dataclass(frozen=True)
class PreferenceRecord:
    """A profile's email preferences as the destination holds them (its preference page
    writes them into the properties Nudge syncs: nudge_unsubscribed_topics,
    nudge_email_frequency), as ``read_preferences`` returns them; None = not set there."""

    destination_ref: str
    email: str | None
    external_id: str | None
    updated_at: datetime  # the profile's last change, naive UTC
    unsubscribed_topics: tuple[str, ...] | None
    email_frequency: str | None
    # what tells one change from another in the ESP; None: updated_at. An ESP that keeps no
    # time of the change (updated_at is then when it was read) gives "": the same choice of
    # the same profile is then one change, landed once
    version: str | None = None


@dataclass
class BatchOutcome:
    """Per-row results of one batch. ``failed``: rows the destination rejected (or that
    could not be sent as they are): sending them again as they are would fail again.
    ``unavailable``: set when the destination stopped answering (429 / 5xx / timeouts or a
    refused connection, after the client's retries); every record in neither ``succeeded``
    nor ``failed`` was then not delivered — its call failed that way, or was not made — and
    is no row's fault: it waits for the next run. ``unknown``: rows whose call may have
    reached the destination without an answer saying what it did (a call not to be sent
    again: ``OutcomeUnknown``), with why; the destination may have delivered them."""

    succeeded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    unavailable: str | None = None
    unknown: dict[str, str] = field(default_factory=dict)

    def fail_all(self, keys: Sequence[str], reason: str) -> None:
        for key in keys:
            self.failed[key] = reason

    def unanswered(self, keys: Sequence[str]) -> list[str]:
        """Of ``keys``, those neither confirmed nor rejected nor maybe delivered (the
        destination was unavailable: not delivered)."""
        settled = set(self.succeeded) | set(self.failed) | set(self.unknown)
        return [key for key in keys if key not in settled]

    def failures(self, keys: Sequence[str]) -> dict[str, str]:
        """Every key of ``keys`` not confirmed, with why: rejected, or not delivered because
        the destination was unavailable (for callers that retry both alike, as syncs do)."""
        failures = {key: self.failed[key] for key in keys if key in self.failed}
        failures.update({key: self.unknown[key] for key in keys if key in self.unknown})
        reason = (
            f"not delivered, the destination was unavailable: {self.unavailable}"
            if self.unavailable
            else "not confirmed by the destination"
        )
        failures.update(dict.fromkeys(self.unanswered(keys), reason))
        return failures


@dataclass(frozen=True)
class BatchLimits:
    """Limits the engine batches by."""

    upsert_rows: int
    upsert_bytes: int
    record_bytes: int
    membership_rows: int
    event_rows: int = 1  # events per track_events call (1: one request per event)


class Destination(Protocol):
    name: str
    # records an event once per unique_id, with the configuration it was built with: the
    # send runner then re-sends what an interrupted run left 'pending'; otherwise it gives
    # those up rather than risk a second delivery (its spec declares the same answer)
    idempotent_events: bool
    # with idempotent_events: how long after an event it still records another with the
    # same unique_id once (None: for good); an interrupted send first attempted longer ago
    # is given up, not sent again (its spec declares the same window)
    deduplication_window: timedelta | None
    limits: BatchLimits
    # the documented rate limits per endpoint; the engine's limiter keeps under them
    rate_limits: tuple[EndpointLimit, ...]

    def record_size(self, record: ProfileRecord) -> int:
        """Bytes this record adds to an upsert payload."""
        ...

    def ensure_list(self, name: str, *, create: bool = True) -> str | None:
        """The id of the list with this name, created if missing (None if not and not create)."""
        ...

    def upsert_profiles(
        self, records: Sequence[ProfileRecord], list_id: str | None
    ) -> BatchOutcome: ...

    def add_list_members(self, list_id: str, records: Sequence[MemberRecord]) -> BatchOutcome: ...

    def remove_list_members(
        self, list_id: str, records: Sequence[MemberRecord]
    ) -> BatchOutcome: ...

    def track_events(self, records: Sequence[EventRecord]) -> BatchOutcome:
        """Deliver events; every record key ends up succeeded or failed (once per
        ``unique_id`` when ``idempotent_events``)."""
        ...

    def read_suppressions(self, since: datetime | None) -> Iterator[SuppressionRecord]:
        """Suppressions made in the destination at or after ``since`` (every current one
        when None), streamed page by page."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class Erasable(Protocol):
    """A destination that can erase a contact for good (GDPR right to erasure)."""

    def erase_contact(self, email: str) -> None:
        """Ask the destination to delete everything it holds on this email; raises
        ``DestinationError`` when the request fails."""
        ...
