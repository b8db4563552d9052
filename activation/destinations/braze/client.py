"""Braze: users through ``POST /users/track`` (attributes, identified by ``external_id``),
list membership as an array attribute (``{"add": [...]}`` / ``{"remove": [...]}``, the usual
way to mirror a segment), triggered sends through transactional campaigns
(``POST /transactional/v1/campaigns/{id}/send`` with the send key as ``external_send_id``,
de-duplicated by Braze for 24 h) or, when none is configured, as ``/users/track`` custom
events (not de-duplicated), unsubscribes read back from ``GET /email/unsubscribes``, and
users erased by email (``/users/export/ids`` then ``/users/delete``), and the email
subscription groups of Nudge's topics read back (preferences.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from ...errors import DestinationError
from ...http import ApiResponseError, OutcomeUnknown
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
    bearer,
    chunked,
    failed_batch,
    json_size,
    merge,
    naive_utc,
)
from ..limits import LimitChecker, RecordLimits
from ..responses import MalformedResponse, json_body
from .preferences import SUBSCRIPTION_STATUS_PATH, read_subscription_groups
from .settings import (
    BRAZE_TRACK_OBJECTS_DEFAULT,
    TRANSACTIONAL_DEDUPLICATION_WINDOW,
    BrazeEnvOptions,
    transactional_events,
)

TRACK_PATH = "/users/track"
UNSUBSCRIBES_PATH = "/email/unsubscribes"
EXPORT_IDS_PATH = "/users/export/ids"
DELETE_PATH = "/users/delete"
EXPORT_FIELDS = ["external_id", "braze_id"]
# Braze's default limit, which /subscription/user/status has
DEFAULT_RATE = Window(250_000, 3600.0)
PAYLOAD_BYTES = 4 * 1024 * 1024  # 413 above it
UNSUBSCRIBES_PAGE = 500
DEFAULT_MEMBERSHIP_ATTRIBUTE = "nudge_lists"
NO_EXTERNAL_ID = "no external_id: Braze users are addressed by external_id"
# Braze: string custom attributes "can be up to 255 characters long" (docs/esp_limits.md);
# an event object must fit one /users/track request. Event property limits: unverified.
USER_LIMITS = RecordLimits("Braze user", string_chars=255)
EVENT_LIMITS = RecordLimits("Braze event", payload_bytes=PAYLOAD_BYTES - 64 * 1024)


def transactional_path(campaign_id: str) -> str:
    return f"/transactional/v1/campaigns/{campaign_id}/send"


class BrazeDestination:
    name = "braze"

    def __init__(
        self,
        settings: DestinationSettings,
        *,
        membership_attribute: str = DEFAULT_MEMBERSHIP_ATTRIBUTE,
        sleep: Callable[[float], None] = time.sleep,
        rate_limits: Sequence[EndpointLimit] | None = None,
    ) -> None:
        self.settings = settings
        options = options_of(settings, BrazeEnvOptions)
        self.membership_attribute = membership_attribute
        self.objects = options.objects_per_request or BRAZE_TRACK_OBJECTS_DEFAULT
        self.campaigns = dict(options.campaigns)
        # as its spec declares it (idempotent_events_when)
        self.idempotent_events = transactional_events(settings)
        self.deduplication_window: timedelta | None = TRANSACTIONAL_DEDUPLICATION_WINDOW
        # up to 75 attribute objects per request (fewer if BRAZE_TRACK_OBJECTS says so),
        # 4 MB per payload (kept under by 64 KB for the envelope); no per-user limit beyond
        self.limits = BatchLimits(
            upsert_rows=self.objects,
            upsert_bytes=PAYLOAD_BYTES - 64 * 1024,
            record_bytes=PAYLOAD_BYTES - 64 * 1024,
            membership_rows=self.objects,
            event_rows=self.objects,
        )
        track_rate = options.write_rate or Window(50_000, 60.0)
        self.rate_limits = (
            tuple(rate_limits)
            if rate_limits is not None
            else (
                EndpointLimit("users_track", "POST", TRACK_PATH, (track_rate,)),
                EndpointLimit(
                    "subscription_user_status", "GET", SUBSCRIPTION_STATUS_PATH, (DEFAULT_RATE,)
                ),
            )
        )
        # subscription group id -> Nudge topic (BRAZE_PREFERENCE_GROUPS)
        self.preference_topics = dict(options.preference_topics)
        self.client = api_client(
            settings, bearer(settings.api_key.reveal()), self.rate_limits, sleep=sleep
        )
        self.checker = LimitChecker(self.name)

    def close(self) -> None:
        self.client.close()

    def _json(self, response: Any) -> Any:
        return json_body(response, self.name, secrets=self.settings.secrets)

    # ------------------------------------------------------------------ users

    def ensure_list(self, name: str, *, create: bool = True) -> str | None:
        """A list is a value of the membership array attribute: nothing to create."""
        return name

    def user_attributes(self, record: ProfileRecord, list_id: str | None) -> dict[str, Any]:
        user: dict[str, Any] = {"external_id": record.external_id}
        if record.email is not None:
            user["email"] = record.email
        user.update(record.attributes)
        user.update(record.properties)  # custom attributes
        if list_id is not None:
            user[self.membership_attribute] = {"add": [list_id]}
        return user

    def record_size(self, record: ProfileRecord) -> int:
        return json_size(self.user_attributes(record, DEFAULT_MEMBERSHIP_ATTRIBUTE))

    def upsert_profiles(
        self, records: Sequence[ProfileRecord], list_id: str | None
    ) -> BatchOutcome:
        checked = self.checker.check(
            [r for r in records if r.external_id],
            USER_LIMITS,
            lambda record: self.user_attributes(record, list_id),
        )
        outcome = merge(
            self._track(
                "attributes",
                [r.record_key for r in chunk],
                [self.user_attributes(r, list_id) for r in chunk],
                {r.record_key: str(r.external_id) for r in chunk},
            )
            for chunk in chunked(checked.sendable, self.objects)
        )
        outcome.failed.update(checked.failed)
        outcome.fail_all([r.record_key for r in records if not r.external_id], NO_EXTERNAL_ID)
        return outcome

    def _membership(
        self, change: str, list_id: str, records: Sequence[MemberRecord]
    ) -> BatchOutcome:
        addressable = [r for r in records if r.destination_ref]
        outcome = merge(
            self._track(
                "attributes",
                [r.record_key for r in chunk],
                [
                    {
                        "external_id": r.destination_ref,
                        self.membership_attribute: {change: [list_id]},
                        "_update_existing_only": change == "remove",
                    }
                    for r in chunk
                ],
                {r.record_key: str(r.destination_ref) for r in chunk},
            )
            for chunk in chunked(addressable, self.objects)
        )
        outcome.fail_all(
            [r.record_key for r in records if not r.destination_ref],
            "no Braze external_id known for this row (it was never confirmed by Braze)",
        )
        return outcome

    def add_list_members(self, list_id: str, records: Sequence[MemberRecord]) -> BatchOutcome:
        return self._membership("add", list_id, records)

    def remove_list_members(self, list_id: str, records: Sequence[MemberRecord]) -> BatchOutcome:
        return self._membership("remove", list_id, records)

    def _track(
        self,
        array: str,
        keys: list[str],
        objects: list[dict[str, Any]],
        refs: dict[str, str],
        *,
        resend: bool = True,
    ) -> BatchOutcome:
        """One ``/users/track`` call; its non-fatal ``errors[]`` (``input_array`` +
        ``index``) fail their rows, the rest is confirmed. Without ``resend`` (events Braze
        does not de-duplicate) a call that may have arrived is not repeated, and rows it may
        have recorded come back ``unknown`` rather than failed (to be sent again): after a
        timeout, a dropped connection or a 5xx, a 2xx body that is not Braze's JSON, or
        errors that name no row."""
        errors = RowErrors(keys)
        try:
            answer = self.client.request(
                "POST", TRACK_PATH, body={array: objects}, resend_if_maybe_received=resend
            )
            body = self._json(answer)
        except ApiResponseError as exc:  # a 400 lists its errors the same way
            if not _has_indexed_errors(exc.body):
                return failed_batch(keys, exc)
            body = exc.body
        except MalformedResponse as exc:
            unsure = OutcomeUnknown(str(exc), status=exc.status, retryable=True)
            return failed_batch(keys, exc if resend else unsure)
        except DestinationError as exc:
            return failed_batch(keys, exc)
        for error in body.get("errors") or []:
            if isinstance(error, dict) and error.get("input_array", array) == array:
                errors.at(error.get("index"), f"Braze: {error.get('type')}")
            else:
                errors.at(None, f"Braze: {error}")
        outcome = errors.outcome(f"POST {TRACK_PATH}", refs)
        if not resend and errors.unmatched:
            # failed for an error naming no row: Braze may have recorded any of them
            unnamed = [key for key in keys if key not in errors.failed]
            outcome.unknown = {key: outcome.failed.pop(key) for key in unnamed}
        return outcome

    # ----------------------------------------------------------------- events

    def track_events(self, records: Sequence[EventRecord]) -> BatchOutcome:
        """With transactional campaigns configured, each event goes one per call to its
        metric's campaign with ``external_send_id`` = the send key (a metric without one
        fails, naming the setting); without any, events are ``/users/track`` custom events,
        which Braze does not de-duplicate (``idempotent_events`` is then False: an
        interrupted send is given up, not re-sent). When Braze stops answering, the rest is
        left unattempted (``outcome.unavailable``)."""
        checked = self.checker.check(
            [r for r in records if r.external_id], EVENT_LIMITS, self.custom_event
        )
        addressable = checked.sendable
        if self.campaigns:
            unmapped = [r for r in addressable if r.metric not in self.campaigns]
            outcomes = (self._send(r) for r in addressable if r.metric in self.campaigns)
        else:
            unmapped = []
            outcomes = (
                self._track(
                    "events",
                    [r.record_key for r in chunk],
                    [self.custom_event(r) for r in chunk],
                    {},
                    resend=False,
                )
                for chunk in chunked(addressable, self.objects)
            )
        outcome = merge(outcomes, stop_when_unavailable=True)
        outcome.failed.update(checked.failed)
        outcome.fail_all([r.record_key for r in records if not r.external_id], NO_EXTERNAL_ID)
        for record in unmapped:
            outcome.failed[record.record_key] = (
                f"no Braze transactional campaign for metric {record.metric!r}: add "
                f"'{record.metric}=<campaign id>' to BRAZE_TRANSACTIONAL_CAMPAIGNS"
            )
        return outcome

    def custom_event(self, record: EventRecord) -> dict[str, Any]:
        return {
            "external_id": record.external_id,
            "name": record.metric,
            "time": record.time,
            "properties": {**record.properties, "nudge_send_key": record.unique_id},
        }

    def _send(self, record: EventRecord) -> BatchOutcome:
        body = {
            "external_send_id": record.unique_id,
            "trigger_properties": {**record.properties, "time": record.time},
            "recipient": {"external_user_id": record.external_id},
        }
        path = transactional_path(self.campaigns[record.metric])
        try:
            answer = self._json(self.client.request("POST", path, body=body))
        except DestinationError as exc:
            return failed_batch([record.record_key], exc)
        return BatchOutcome(
            succeeded=[record.record_key],
            refs={record.record_key: str(answer.get("dispatch_id") or "")},
        )

    # ----------------------------------------------------------------- erasure

    def erase_contact(self, email: str) -> None:
        """Delete every Braze user with this email: their ids from ``/users/export/ids``
        (looked up by ``email_address``), then ``/users/delete``."""
        lookup = {"email_address": email.strip().lower(), "fields_to_export": EXPORT_FIELDS}
        users = self._json(self.client.request("POST", EXPORT_IDS_PATH, body=lookup)).get("users")
        external_ids = [u["external_id"] for u in users or [] if u.get("external_id")]
        braze_ids = [
            u["braze_id"] for u in users or [] if not u.get("external_id") and u.get("braze_id")
        ]
        if external_ids or braze_ids:
            body = {"external_ids": external_ids, "braze_ids": braze_ids}
            self.client.request("POST", DELETE_PATH, body=body)

    # ------------------------------------------------------------ suppressions

    def read_suppressions(self, since: datetime | None) -> Iterator[SuppressionRecord]:
        """Email unsubscribes since ``since`` (``start_date`` is a day: earlier ones that day
        are dropped here). Braze lists only emails: the email is the reference."""
        params = {"limit": str(UNSUBSCRIBES_PAGE), "sort_direction": "asc"}
        if since is not None:
            params["start_date"] = since.date().isoformat()
            params["end_date"] = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
        offset = 0
        while True:
            page = self._json(
                self.client.request(
                    "GET", UNSUBSCRIBES_PATH, params={**params, "offset": str(offset)}
                )
            )
            emails = page.get("emails") or []
            for entry in emails:
                at = naive_utc(str(entry["unsubscribed_at"]))
                if since is None or at >= since:
                    email = str(entry["email"]).strip().lower()
                    yield SuppressionRecord(email, email, None, "unsubscribed", at)
            if len(emails) < UNSUBSCRIBES_PAGE:
                return
            offset += len(emails)

    # ----------------------------------------------------- preference read-back

    def read_preferences_of(self, external_ids: Sequence[str]) -> Iterator[PreferenceRecord]:
        """The subscription group statuses of these users (preferences.py)."""
        return read_subscription_groups(
            lambda path: self._json(self.client.request("GET", path)),
            external_ids,
            self.preference_topics,
            datetime.now(UTC).replace(tzinfo=None),
        )


def _has_indexed_errors(body: Any) -> bool:
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors:
        return False
    return all(isinstance(error, dict) and "index" in error for error in errors)
