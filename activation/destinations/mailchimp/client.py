"""Mailchimp Marketing API v3: members of one audience (the declaration's
``mailchimp.audience_id``) upserted in bulk (``POST /lists/{audience}``, up to 500, with
per-member ``errors[]`` in a 200), list membership as a static segment of that audience
(``members_to_add`` / ``members_to_remove``, up to 500 each), events per member, and
unsubscribed / cleaned members read back.

Events have no idempotency key in Mailchimp, so exactly-once rests on the send ledger alone
(pending before the call, sent after): a send a crash left pending may or may not have been
delivered, and the send runner gives it up rather than risk delivering it twice
(``idempotent_events = False``: at most once). For the same reason an event call is never
repeated once it may have arrived (a timeout, a dropped connection, a 5xx): its send is
reported ``unknown`` and given up.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from ...errors import ConfigurationError, DestinationError
from ...http import ApiResponseError, OutcomeUnknown
from ...ratelimit import EndpointLimit
from ...settings import DestinationSettings
from ..base import (
    BatchLimits,
    BatchOutcome,
    EventRecord,
    MemberRecord,
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
    naive_utc,
)
from ..limits import LimitChecker, RecordLimits
from ..responses import json_body

BULK_MEMBERS = 500
SEGMENT_MEMBERS = 500
SEGMENTS_PAGE = 1000
MEMBERS_PAGE = 1000
EVENT_NAME_LENGTH = (2, 30)
# Mailchimp documents no size for a merge field value or a member: 64 KB is a cap of ours
# (docs/esp_limits.md); nothing is cut
MEMBER_LIMITS = RecordLimits("Mailchimp member", payload_bytes=64 * 1024)
SUPPRESSED_STATUSES = {"unsubscribed": "unsubscribed", "cleaned": "hard_bounce"}


def subscriber_hash(email: str) -> str:
    """Mailchimp addresses a member by the MD5 of its lowercased email."""
    return hashlib.md5(email.strip().lower().encode()).hexdigest()


class MailchimpDestination:
    name = "mailchimp"
    # no idempotency key: sends an interrupted run left pending are given up, not re-sent
    idempotent_events = False
    deduplication_window: timedelta | None = None  # not read: nothing is de-duplicated
    # 500 members per bulk call and per segment change; the payload size is not documented:
    # 4 MB per call and 64 KB per member are caps of ours
    limits = BatchLimits(
        upsert_rows=BULK_MEMBERS,
        upsert_bytes=4 * 1024 * 1024,
        record_bytes=MEMBER_LIMITS.payload_bytes or 0,
        membership_rows=SEGMENT_MEMBERS,
        event_rows=1,  # no bulk event call
    )
    # Mailchimp documents no request rate, only about 10 concurrent connections per account;
    # a client sends one request at a time
    rate_limits: tuple[EndpointLimit, ...] = ()

    def __init__(
        self,
        settings: DestinationSettings,
        *,
        audience_id: str | None,
        member_status: str = "subscribed",
        sleep: Callable[[float], None] = time.sleep,
        rate_limits: Sequence[EndpointLimit] | None = None,
    ) -> None:
        self.settings = settings
        self.audience_id = audience_id
        self.member_status = member_status
        if rate_limits is not None:
            self.rate_limits = tuple(rate_limits)
        self.client = api_client(
            settings, basic_auth("nudge", settings.api_key.reveal()), self.rate_limits, sleep=sleep
        )
        self.checker = LimitChecker(self.name)

    def close(self) -> None:
        self.client.close()

    def _json(self, response: Any) -> Any:
        return json_body(response, self.name, secrets=self.settings.secrets)

    @property
    def audience(self) -> str:
        """The audience's path; everything but erasure needs one."""
        if not self.audience_id:
            raise ConfigurationError(
                "Mailchimp needs an audience: set mailchimp: {audience_id: <id>} in the sync "
                "declaration, or MAILCHIMP_AUDIENCE_ID for triggered sends"
            )
        return f"/lists/{self.audience_id}"

    # --------------------------------------------------------------- segments

    def ensure_list(self, name: str, *, create: bool = True) -> str | None:
        """The id of the audience's static segment named ``name`` (created if missing)."""
        offset = 0
        while True:
            page = self._json(
                self.client.request(
                    "GET",
                    f"{self.audience}/segments",
                    params={"type": "static", "count": str(SEGMENTS_PAGE), "offset": str(offset)},
                )
            )
            segments = page.get("segments") or []
            for segment in segments:
                if segment.get("name") == name:
                    return str(segment["id"])
            offset += len(segments)
            if not segments or offset >= int(page.get("total_items") or 0):
                break
        if not create:
            return None
        body = {"name": name, "static_segment": []}
        created = self._json(self.client.request("POST", f"{self.audience}/segments", body=body))
        return str(created["id"])

    # ---------------------------------------------------------------- members

    def member(self, record: ProfileRecord) -> dict[str, Any]:
        member: dict[str, Any] = {"email_address": record.email, "status": self.member_status}
        if record.attributes:
            member["merge_fields"] = {
                tag: "" if value is None else value for tag, value in record.attributes.items()
            }
        return member

    def record_size(self, record: ProfileRecord) -> int:
        return json_size(self.member(record))

    def upsert_profiles(
        self, records: Sequence[ProfileRecord], list_id: str | None
    ) -> BatchOutcome:
        """Bulk upsert, then the confirmed members into the static segment ``list_id``."""
        checked = self.checker.check([r for r in records if r.email], MEMBER_LIMITS, self.member)
        with_email = checked.sendable
        outcome = merge(self._bulk(chunk) for chunk in chunked(with_email, BULK_MEMBERS))
        outcome.failed.update(checked.failed)
        outcome.fail_all([r.record_key for r in records if not r.email], "no email address")
        if list_id is None:
            return outcome
        members = [
            MemberRecord(r.record_key, r.email, subscriber_hash(r.email))
            for r in with_email
            if r.email
        ]
        return join_list(outcome, members, lambda joining: self.add_list_members(list_id, joining))

    def _bulk(self, records: Sequence[ProfileRecord]) -> BatchOutcome:
        keys = [r.record_key for r in records]
        body = {"members": [self.member(r) for r in records], "update_existing": True}
        try:
            answer = self._json(self.client.request("POST", self.audience, body=body))
        except DestinationError as exc:
            return failed_batch(keys, exc)
        errors = RowErrors(keys, {str(r.email): r.record_key for r in records})
        for error in answer.get("errors") or []:
            reason = f"Mailchimp {error.get('error_code') or 'error'}: {error.get('error')}"
            errors.named(error.get("email_address"), reason)
        refs = {r.record_key: subscriber_hash(str(r.email)) for r in records}
        return errors.outcome(f"POST {self.audience}", refs)

    def _segment(self, change: str, list_id: str, records: Sequence[MemberRecord]) -> BatchOutcome:
        with_email = [r for r in records if r.email]
        outcomes = []
        for chunk in chunked(with_email, SEGMENT_MEMBERS):
            keys = [r.record_key for r in chunk]
            body = {change: [r.email for r in chunk]}
            path = f"{self.audience}/segments/{list_id}"
            try:
                answer = self._json(self.client.request("POST", path, body=body))
            except DestinationError as exc:
                outcomes.append(failed_batch(keys, exc))
                continue
            errors = RowErrors(keys, {str(r.email): r.record_key for r in chunk})
            for error in answer.get("errors") or []:
                for email in error.get("email_addresses") or [None]:
                    errors.named(email, f"Mailchimp: {error.get('error')}")
            refs = {r.record_key: subscriber_hash(str(r.email)) for r in chunk}
            outcomes.append(errors.outcome(f"POST {path}", refs))
        outcome = merge(outcomes)
        outcome.fail_all([r.record_key for r in records if not r.email], "no email address")
        return outcome

    def add_list_members(self, list_id: str, records: Sequence[MemberRecord]) -> BatchOutcome:
        return self._segment("members_to_add", list_id, records)

    def remove_list_members(self, list_id: str, records: Sequence[MemberRecord]) -> BatchOutcome:
        return self._segment("members_to_remove", list_id, records)

    # ----------------------------------------------------------------- events

    def track_events(self, records: Sequence[EventRecord]) -> BatchOutcome:
        """One call per event (Mailchimp has no bulk event call and no idempotency key)."""
        outcome = BatchOutcome()
        low, high = EVENT_NAME_LENGTH
        for record in records:
            if not record.email:
                outcome.failed[record.record_key] = "no email address"
                continue
            if not low <= len(record.metric) <= high:
                outcome.failed[record.record_key] = (
                    f"Mailchimp event names are {low}-{high} characters; {record.metric!r} is "
                    f"{len(record.metric)}"
                )
                continue
            body = {
                "name": record.metric,
                "properties": {
                    key: "" if value is None else str(value)
                    for key, value in {**record.properties, "send_key": record.unique_id}.items()
                },
                "occurred_at": record.time,
            }
            path = f"{self.audience}/members/{subscriber_hash(record.email)}/events"
            try:
                self.client.request("POST", path, body=body, resend_if_maybe_received=False)
            except DestinationError as exc:
                if isinstance(exc, OutcomeUnknown):  # maybe delivered: never sent again
                    outcome.unknown[record.record_key] = str(exc)
                if exc.retryable:  # Mailchimp stopped answering: the rest wait
                    outcome.unavailable = str(exc)
                    return outcome
                outcome.failed[record.record_key] = str(exc)
                continue
            outcome.succeeded.append(record.record_key)
        return outcome

    # ------------------------------------------------------------ suppressions

    def read_suppressions(self, since: datetime | None) -> Iterator[SuppressionRecord]:
        """Members unsubscribed (``unsubscribed``) or cleaned (``hard_bounce``: Mailchimp
        cleans an address after hard bounces) whose status changed at or after ``since``."""
        for status, reason in SUPPRESSED_STATUSES.items():
            offset = 0
            while True:
                params = {"status": status, "count": str(MEMBERS_PAGE), "offset": str(offset)}
                if since is not None:
                    params["since_last_changed"] = since.isoformat(timespec="seconds") + "+00:00"
                response = self.client.request("GET", f"{self.audience}/members", params=params)
                page = self._json(response)
                members = page.get("members") or []
                for member in members:
                    email = str(member["email_address"]).strip().lower()
                    changed = str(member.get("last_changed") or "")
                    yield SuppressionRecord(
                        destination_ref=str(member.get("id") or subscriber_hash(email)),
                        email=email,
                        external_id=None,
                        reason=reason,
                        suppressed_at=naive_utc(changed) if changed else datetime(1970, 1, 1),
                    )
                offset += len(members)
                if not members or offset >= int(page.get("total_items") or 0):
                    break

    # ----------------------------------------------------------------- erasure

    def erase_contact(self, email: str) -> None:
        """Delete the member for good (``actions/delete-permanent``: Mailchimp keeps no
        trace and will not let the address be imported again) from the configured audience,
        or from every audience of the account when none is configured."""
        audiences = [self.audience_id] if self.audience_id else list(self._audience_ids())
        member = subscriber_hash(email)
        for audience in audiences:
            try:
                self.client.request(
                    "POST", f"/lists/{audience}/members/{member}/actions/delete-permanent"
                )
            except ApiResponseError as exc:
                if exc.status != 404:  # 404: not a member of that audience
                    raise

    def _audience_ids(self) -> Iterator[str]:
        offset = 0
        while True:
            params = {
                "count": str(MEMBERS_PAGE),
                "offset": str(offset),
                "fields": "lists.id,total_items",
            }
            page = self._json(self.client.request("GET", "/lists", params=params))
            lists = page.get("lists") or []
            yield from (str(found["id"]) for found in lists)
            offset += len(lists)
            if not lists or offset >= int(page.get("total_items") or 0):
                return
