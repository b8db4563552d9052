"""What the destinations other than Klaviyo share: their HTTP client (auth header, limiter,
timeouts, retries from the settings), JSON sizes, and turning a vendor's per-row errors in
a partial-success answer into a ``BatchOutcome``.

A batch is only confirmed row by row: when a vendor reports an error the mapping cannot
tie to a row, no row of that batch is confirmed (all are re-sent next run), because
confirming a row the vendor rejected would lose it for good.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from ..errors import DestinationError
from ..http import ApiClient, OutcomeUnknown
from ..ratelimit import EndpointLimit, shared_rate_limiter
from ..settings import DestinationSettings
from .base import BatchOutcome, MemberRecord

log = logging.getLogger(__name__)

T = TypeVar("T")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def basic_auth(user: str, password: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


def api_client(
    settings: DestinationSettings,
    headers: Mapping[str, str],
    rate_limits: Sequence[EndpointLimit],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> ApiClient:
    """The engine's client for one destination account: JSON, the settings' timeouts and
    retries, and the account's shared rate limiter."""
    return ApiClient(
        settings.base_url,
        {"Accept": "application/json", **headers},
        secrets=settings.secrets,
        timeout=(settings.connect_timeout, settings.read_timeout),
        retry=settings.retry,
        sleep=sleep,
        # one budget per account and server, shared by every client in the process
        rate_limiter=shared_rate_limiter(f"{settings.base_url}#{settings.target}", rate_limits),
    )


def json_size(value: Any) -> int:
    """Bytes of ``value`` as compact JSON, plus one for the separating comma."""
    return len(json.dumps(value, separators=(",", ":")).encode()) + 1


def chunked(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def response_json(response: Any) -> Any:
    """The body as JSON, or None when empty or not JSON (a 204, a proxy's HTML)."""
    try:
        return response.json()
    except ValueError:
        return None


class RowErrors:
    """Per-row errors of one batch, found by position or by a name the vendor echoes back
    (an email, an id); ``outcome()`` confirms every other row."""

    def __init__(self, keys: Sequence[str], names: Mapping[str, str] | None = None) -> None:
        self.keys = list(keys)
        self.names = {name.strip().lower(): key for name, key in (names or {}).items()}
        self.failed: dict[str, str] = {}
        self.unmatched: list[str] = []

    def at(self, index: Any, reason: str) -> None:
        """The row at ``index`` (as the vendor counts it in the request) failed."""
        if isinstance(index, int) and 0 <= index < len(self.keys):
            self._fail(self.keys[index], reason)
        else:
            self.unmatched.append(reason)

    def named(self, name: Any, reason: str) -> None:
        """The row the vendor names ``name`` (email or id, any case) failed."""
        key = self.names.get(str(name).strip().lower()) if name is not None else None
        if key is None:
            self.unmatched.append(reason)
        else:
            self._fail(key, reason)

    def _fail(self, key: str, reason: str) -> None:
        self.failed[key] = f"{self.failed[key]}; {reason}" if key in self.failed else reason

    def fail_all(self, reason: str) -> None:
        for key in self.keys:
            self._fail(key, reason)

    def outcome(self, what: str, refs: Mapping[str, str] | None = None) -> BatchOutcome:
        outcome = BatchOutcome(refs=dict(refs or {}))
        outcome.failed = dict(self.failed)
        if self.unmatched:
            log.warning("%s: %d errors name no row: %s", what, len(self.unmatched), self.unmatched)
            reason = (
                f"{what}: {len(self.unmatched)} errors name no row of the batch "
                f"({self.unmatched[0]}); none of it is confirmed and it is re-sent"
            )
            outcome.fail_all([key for key in self.keys if key not in outcome.failed], reason)
        outcome.succeeded = [key for key in self.keys if key not in outcome.failed]
        outcome.refs = {key: ref for key, ref in outcome.refs.items() if key in outcome.succeeded}
        return outcome


AUTH_STATUSES = (401, 403)


def failed_batch(keys: Sequence[str], error: DestinationError) -> BatchOutcome:
    """A batch the vendor refused as a whole (every row failed), or could not be reached
    for: retries ran out on 429 / 5xx / timeouts, so no row is settled and ``unavailable``
    says why (and, when the call may have arrived and is not sent again, ``unknown`` holds
    every row). Wrong credentials are no row's fault: they stop the run with the vendor's
    answer."""
    if error.status in AUTH_STATUSES:
        raise error
    outcome = BatchOutcome()
    if isinstance(error, OutcomeUnknown):
        outcome.unknown = dict.fromkeys(keys, str(error))
    if error.retryable:
        outcome.unavailable = str(error)
    else:
        outcome.fail_all(keys, str(error))
    return outcome


def merge(outcomes: Iterable[BatchOutcome], *, stop_when_unavailable: bool = False) -> BatchOutcome:
    """One outcome from the outcomes of a batch's chunks (each key in one chunk). With
    ``stop_when_unavailable`` (sends: ``outcomes`` is lazy) no chunk is sent after one found
    the vendor unavailable; its keys stay unattempted and ``unavailable`` says why."""
    merged = BatchOutcome()
    for outcome in outcomes:
        merged.succeeded += outcome.succeeded
        merged.failed.update(outcome.failed)
        merged.unknown.update(outcome.unknown)
        merged.refs.update(outcome.refs)
        if outcome.unavailable:
            merged.unavailable = outcome.unavailable
            if stop_when_unavailable:
                break
    return merged


def join_list(
    outcome: BatchOutcome,
    members: Sequence[MemberRecord],
    add: Callable[[Sequence[MemberRecord]], BatchOutcome],
) -> BatchOutcome:
    """An upsert's ``outcome`` once its confirmed rows were also added to a list with
    ``add`` (for ESPs where that is a second call): a row is confirmed only if both took it."""
    confirmed = set(outcome.succeeded)
    joining = [member for member in members if member.record_key in confirmed]
    if not joining:
        return outcome
    added = add(joining)
    asked = {member.record_key for member in joining}
    joined = set(added.succeeded)
    outcome.failed.update(added.failed)
    # a row the list add left unanswered (unavailable) is not confirmed either
    outcome.succeeded = [key for key in outcome.succeeded if key not in asked or key in joined]
    outcome.unavailable = outcome.unavailable or added.unavailable
    return outcome


def naive_utc(text: str) -> datetime:
    """An ISO timestamp from an API (``Z`` or an offset) as naive UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
