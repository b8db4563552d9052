"""Customer.io Track API: people identified and events tracked through ``POST /api/v2/batch``
(up to 500 KB, 32 KB per item; a 207 lists per-item errors by ``batch_index``), list
membership as a manual segment (``add_customers`` / ``remove_customers``, up to 1,000 ids;
the segment is made in Customer.io: the Track API cannot create one).

Each event carries an ``id`` derived from the send key (a ULID, as Customer.io asks):
Customer.io records an event id once, so a re-sent event is not delivered twice. Only events
from the past 72 hours start campaigns, so older ones fail here instead of being sent. The
Track API has no way to read unsubscribes back (that is the App API's); subscription-center
topics are read back through the App API (preferences.py).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from ...batching import batches
from ...errors import ConfigurationError, DestinationError
from ...http import ApiResponseError
from ...ratelimit import EndpointLimit, Window
from ...settings import DestinationSettings, options_of
from ..base import (
    BatchLimits,
    BatchOutcome,
    EventRecord,
    MemberRecord,
    PreferenceRecord,
    ProfileRecord,
    SuppressionRecord,
)
from ..common import (
    RowErrors,
    api_client,
    basic_auth,
    chunked,
    failed_batch,
    join_list,
    json_size,
    merge,
)
from ..limits import LimitChecker, RecordLimits
from ..responses import json_body
from .preferences import CustomerioPreferences
from .settings import CustomerioEnvOptions

log = logging.getLogger(__name__)

BATCH_PATH = "/api/v2/batch"
BATCH_BYTES = 500 * 1024
ITEM_BYTES = 32 * 1024
SEGMENT_IDS = 1000
CAMPAIGN_WINDOW = timedelta(hours=72)
NO_ID = "no external_id: Customer.io people are addressed by id"
# Customer.io's Track API rejects more than 300 attributes, a name over 150 bytes, a value
# over 1000 bytes (docs/esp_limits.md); a batch item is at most 32 KB. A free-text value is
# cut to 1000 bytes; an event's data (at most 100,000 bytes) is bounded by the item size.
PERSON_LIMITS = RecordLimits(
    "Customer.io person",
    string_bytes=1000,
    properties=300,
    name_bytes=150,
    payload_bytes=ITEM_BYTES,
)
EVENT_LIMITS = RecordLimits("Customer.io event", payload_bytes=ITEM_BYTES)
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def event_ulid(send_key: str, time_text: str) -> str:
    """A ULID that is the same for every attempt of one send: the event time in its 48-bit
    timestamp, the send key's SHA-256 in its 80 random bits."""
    millis = int(_parse_time(time_text).timestamp() * 1000)
    entropy = int.from_bytes(hashlib.sha256(send_key.encode()).digest()[:10], "big")
    value = (millis << 80) | entropy
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class CustomerioDestination:
    name = "customerio"
    idempotent_events = True  # an event id is recorded once
    deduplication_window: timedelta | None = None  # its contract sets no time limit on that
    # 500 KB per batch call (4 KB kept for the envelope), 32 KB per item, 1,000 ids per
    # segment change; the batch has no documented row count: its size bounds it
    limits = BatchLimits(
        upsert_rows=1_000,
        upsert_bytes=BATCH_BYTES - 4 * 1024,
        record_bytes=ITEM_BYTES,
        membership_rows=SEGMENT_IDS,
        event_rows=1_000,
    )

    def __init__(
        self,
        settings: DestinationSettings,
        *,
        segment_id: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rate_limits: Sequence[EndpointLimit] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        options = options_of(settings, CustomerioEnvOptions)
        if not options.username:
            raise ConfigurationError(
                "Customer.io settings have no site id; build them with customerio_settings() "
                "(CUSTOMERIO_SITE_ID)"
            )
        self.settings = settings
        self.segment_id = segment_id
        self.clock = clock
        rate = options.write_rate or Window(100, 1.0)
        # one budget for the whole Track API (the documented ~100 requests/s)
        self.rate_limits = (
            tuple(rate_limits)
            if rate_limits is not None
            else tuple(EndpointLimit("track", m, "/api/.*", (rate,)) for m in ("POST", "PUT"))
        )
        auth = basic_auth(options.username, settings.api_key.reveal())
        self.client = api_client(settings, auth, self.rate_limits, sleep=sleep)
        self.checker = LimitChecker(self.name)
        self.sleep = sleep
        # subscription center topic -> Nudge topic (CUSTOMERIO_PREFERENCE_TOPICS)
        self.preference_topics = dict(options.preference_topics)
        self._preferences: CustomerioPreferences | None = None

    def close(self) -> None:
        self.client.close()
        if self._preferences is not None:
            self._preferences.close()

    # ------------------------------------------------------------------ people

    def ensure_list(self, name: str, *, create: bool = True) -> str | None:
        """The declared manual segment (``customerio.segment_id``): the Track API can neither
        find a segment by name nor create one."""
        if self.segment_id is None:
            raise ConfigurationError(
                f"list {name!r}: Customer.io needs the id of a manual segment; set "
                f"customerio: {{segment_id: <id>}} in the sync declaration"
            )
        return str(self.segment_id)

    def person(self, record: ProfileRecord) -> dict[str, Any]:
        attributes = {**record.attributes, **record.properties}
        if record.email is not None:
            attributes["email"] = record.email
        return {
            "type": "person",
            "identifiers": {"id": record.external_id},
            "action": "identify",
            "attributes": attributes,
        }

    def record_size(self, record: ProfileRecord) -> int:
        return json_size(self.person(record))

    def upsert_profiles(
        self, records: Sequence[ProfileRecord], list_id: str | None
    ) -> BatchOutcome:
        """Identify everyone in one batch call, then add the confirmed to the segment."""
        checked = self.checker.check(
            [r for r in records if r.external_id], PERSON_LIMITS, self.person
        )
        addressable = checked.sendable
        outcome = self._batch(
            [r.record_key for r in addressable],
            [self.person(r) for r in addressable],
            {r.record_key: str(r.external_id) for r in addressable},
        )
        outcome.failed.update(checked.failed)
        outcome.fail_all([r.record_key for r in records if not r.external_id], NO_ID)
        if list_id is None:
            return outcome
        members = [MemberRecord(r.record_key, r.email, r.external_id) for r in addressable]
        return join_list(outcome, members, lambda joining: self.add_list_members(list_id, joining))

    def _batch(
        self, keys: list[str], items: list[dict[str, Any]], refs: dict[str, str]
    ) -> BatchOutcome:
        """One ``/api/v2/batch`` call: 200 confirms all, 207 names the failed items."""
        if not items:
            return BatchOutcome()
        try:
            response = self.client.request("POST", BATCH_PATH, body={"batch": items})
            answer = (
                json_body(response, self.name, secrets=self.settings.secrets)
                if response.status_code == 207
                else {}
            )
        except DestinationError as exc:
            return failed_batch(keys, exc)
        errors = RowErrors(keys)
        for error in answer.get("errors") or []:
            detail = " ".join(
                str(error[part]) for part in ("reason", "field", "message") if error.get(part)
            )
            errors.at(error.get("batch_index"), f"Customer.io: {detail}")
        return errors.outcome(f"POST {BATCH_PATH}", refs)

    def _segment(self, change: str, list_id: str, records: Sequence[MemberRecord]) -> BatchOutcome:
        addressable = [r for r in records if r.destination_ref]
        outcomes = []
        for chunk in chunked(addressable, SEGMENT_IDS):
            keys = [r.record_key for r in chunk]
            path = f"/api/v1/segments/{list_id}/{change}"
            try:
                self.client.request("POST", path, body={"ids": [r.destination_ref for r in chunk]})
            except DestinationError as exc:
                outcomes.append(failed_batch(keys, exc))
                continue
            outcomes.append(
                BatchOutcome(
                    succeeded=keys, refs={r.record_key: str(r.destination_ref) for r in chunk}
                )
            )
        outcome = merge(outcomes)
        outcome.fail_all(
            [r.record_key for r in records if not r.destination_ref],
            "no Customer.io id known for this row (it was never confirmed by Customer.io)",
        )
        return outcome

    def add_list_members(self, list_id: str, records: Sequence[MemberRecord]) -> BatchOutcome:
        return self._segment("add_customers", list_id, records)

    def remove_list_members(self, list_id: str, records: Sequence[MemberRecord]) -> BatchOutcome:
        return self._segment("remove_customers", list_id, records)

    # ----------------------------------------------------------------- events

    def event(self, record: EventRecord) -> dict[str, Any]:
        return {
            "type": "person",
            "identifiers": {"id": record.external_id},
            "action": "event",
            "name": record.metric,
            "id": event_ulid(record.unique_id, record.time),
            "timestamp": int(_parse_time(record.time).timestamp()),
            "attributes": record.properties,
        }

    def track_events(self, records: Sequence[EventRecord]) -> BatchOutcome:
        oldest = self.clock() - CAMPAIGN_WINDOW
        stale = {r.record_key for r in records if r.external_id and _parse_time(r.time) < oldest}
        checked = self.checker.check(
            [r for r in records if r.external_id and r.record_key not in stale],
            EVENT_LIMITS,
            self.event,
        )
        sendable = checked.sendable
        outcomes = (
            self._events(batch)
            for batch in batches(
                sendable,
                max_rows=self.limits.upsert_rows,
                max_bytes=self.limits.upsert_bytes,
                size_of=lambda record: json_size(self.event(record)),
            )
        )
        outcome = merge(outcomes, stop_when_unavailable=True)
        outcome.failed.update(checked.failed)
        outcome.fail_all([r.record_key for r in records if not r.external_id], NO_ID)
        outcome.fail_all(
            sorted(stale), "event is older than 72 hours: Customer.io would start no campaign"
        )
        return outcome

    def _events(self, records: list[EventRecord]) -> BatchOutcome:
        return self._batch(
            [r.record_key for r in records],
            [self.event(r) for r in records],
            {r.record_key: event_ulid(r.unique_id, r.time) for r in records},
        )

    # ------------------------------------------------------------ suppressions

    def read_suppressions(self, since: datetime | None) -> Iterator[SuppressionRecord]:
        """Nothing: the Track API cannot read people back (Customer.io's App API can; not
        used here), so unsubscribes made in Customer.io do not flow back."""
        log.info("Customer.io: the Track API has no suppression read-back; none read")
        return iter(())

    # ----------------------------------------------------- preference read-back

    def read_preferences_of(self, ids: Sequence[str]) -> Iterator[PreferenceRecord]:
        """The subscription-center topics of these people, through the App API."""
        if self._preferences is None:
            self._preferences = CustomerioPreferences(self.settings, sleep=self.sleep)
        return self._preferences.read(ids)

    # ----------------------------------------------------------------- erasure

    def erase_contact(self, email: str) -> None:
        """Delete the person (``DELETE /api/v1/customers/{identifier}``, the email as the
        identifier); a person Customer.io does not know is nothing to erase."""
        try:
            self.client.request("DELETE", f"/api/v1/customers/{quote(email.strip(), safe='')}")
        except ApiResponseError as exc:
            if exc.status != 404:
                raise
