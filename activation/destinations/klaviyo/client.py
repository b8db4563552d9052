"""Klaviyo (API revision 2026-07-15): profiles through bulk import jobs, list membership
through list relationships, triggered sends as events (``unique_id`` = send_key), and the
read-back of suppressions made in Klaviyo. Removing from a list never touches consent.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from ...errors import DestinationError
from ...http import ApiClient
from ...ratelimit import EndpointLimit, Window, per_second_and_minute, shared_rate_limiter
from ...settings import DestinationSettings
from ..base import (
    BatchLimits,
    BatchOutcome,
    EventRecord,
    MemberRecord,
    PreferenceRecord,
    ProfileRecord,
    SuppressionRecord,
)
from ..limits import LimitChecker, RecordLimits
from ..responses import json_body

log = logging.getLogger(__name__)

JSON_API = "application/vnd.api+json"
REVISION = "2026-07-15"  # the API revision this client is written against
LOOKUP_CHUNK = 100  # GET /api/profiles page[size] maximum
_POINTER_INDEX = re.compile(r"^/data/attributes/profiles/data/(\d+)")
SUPPRESSION_TIMESTAMP = "subscriptions.email.marketing.suppression.timestamp"
# the profile properties the subscribers sync writes and a preference page may change
UNSUBSCRIBED_TOPICS = "nudge_unsubscribed_topics"
EMAIL_FREQUENCY = "nudge_email_frequency"
# Klaviyo's suppression reasons, in the warehouse's words (contact_profiles.suppression_reason)
SUPPRESSION_REASONS = {
    "UNSUBSCRIBE": "unsubscribed",
    "HARD_BOUNCE": "hard_bounce",
    "SPAM_COMPLAINT": "spam_complaint",
    "INVALID_EMAIL": "invalid_email",
    "USER_SUPPRESSED": "user_suppressed",
}
_ID = "[^/]+"
# The spec's limits (create_event: "must not exceed 400 properties", "The size of the event
# payload must not exceed 5 MB, and each string cannot be larger than 100 KB"; profile
# bulk import: "The maximum allowed payload size per-profile is 100KB")
EVENT_LIMITS = RecordLimits(
    "Klaviyo event", string_bytes=100 * 1024, properties=400, payload_bytes=5 * 1024 * 1024
)
PROFILE_LIMITS = RecordLimits("Klaviyo profile", string_bytes=100 * 1024, payload_bytes=100 * 1024)


def _limit(operation: str, method: str, path: str, burst: int, steady: int) -> EndpointLimit:
    return per_second_and_minute(operation, method, path, burst, steady)


# Klaviyo's documented limits per endpoint (fixed windows per account: burst per second,
# steady per minute), named by operationId as in the spec's x-klaviyo-ratelimit;
# tests/test_klaviyo_spec_conformance.py checks them against the spec.
RATE_LIMITS: tuple[EndpointLimit, ...] = (
    _limit("create_or_update_profile", "POST", "/api/profile-import", 75, 750),
    _limit("get_profiles", "GET", "/api/profiles", 75, 750),
    _limit("bulk_import_profiles", "POST", "/api/profile-bulk-import-jobs", 10, 150),
    _limit("get_bulk_import_profiles_job", "GET", f"/api/profile-bulk-import-jobs/{_ID}", 10, 150),
    _limit(
        "get_errors_for_bulk_import_profiles_job",
        "GET",
        f"/api/profile-bulk-import-jobs/{_ID}/import-errors",
        10,
        150,
    ),
    _limit("get_lists", "GET", "/api/lists", 75, 750),
    EndpointLimit(
        "create_list",
        "POST",
        "/api/lists",
        (Window(10, 1.0), Window(150, 60.0), Window(150, 86_400.0)),
    ),
    _limit("get_profile_ids_for_list", "GET", f"/api/lists/{_ID}/relationships/profiles", 75, 750),
    _limit("add_profiles_to_list", "POST", f"/api/lists/{_ID}/relationships/profiles", 10, 150),
    _limit(
        "remove_profiles_from_list", "DELETE", f"/api/lists/{_ID}/relationships/profiles", 10, 150
    ),
    _limit("create_event", "POST", "/api/events", 350, 3500),
    _limit("get_events", "GET", "/api/events", 350, 3500),
    _limit("get_metrics", "GET", "/api/metrics", 10, 150),
    _limit("bulk_suppress_profiles", "POST", "/api/profile-suppression-bulk-create-jobs", 75, 750),
    _limit("request_profile_deletion", "POST", "/api/data-privacy-deletion-jobs", 3, 60),
)


class _KlaviyoErasure:
    """Mixed into ``KlaviyoDestination``: GDPR erasure through a data-privacy deletion job."""

    client: ApiClient

    def erase_contact(self, email: str) -> None:
        """Request deletion of the profile with this email and all its data (Klaviyo
        accepts with 202 and deletes asynchronously; an unknown email is accepted too)."""
        profile = {"type": "profile", "attributes": {"email": email}}
        body = {
            "data": {
                "type": "data-privacy-deletion-job",
                "attributes": {"profile": {"data": profile}},
            }
        }
        self.client.request("POST", "/api/data-privacy-deletion-jobs", body=body)


class KlaviyoDestination(_KlaviyoErasure):
    name = "klaviyo"
    # 10,000 profiles and 5 MB per bulk job (kept under by 64 KB for the envelope),
    # 100 KB per profile, 1,000 profiles per list-relationship call.
    limits = BatchLimits(
        upsert_rows=10_000,
        upsert_bytes=5 * 1024 * 1024 - 64 * 1024,
        record_bytes=100 * 1024,
        membership_rows=1_000,
    )

    rate_limits: tuple[EndpointLimit, ...] = RATE_LIMITS
    # Klaviyo records one event per (profile, metric, unique_id): a send interrupted after
    # the call can be sent again safely (activation.sends)
    idempotent_events = True
    # its contract sets no time limit on that
    deduplication_window: timedelta | None = None

    def __init__(
        self,
        settings: DestinationSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rate_limits: Sequence[EndpointLimit] | None = None,
    ) -> None:
        self.settings = settings
        self.sleep = sleep
        if rate_limits is not None:
            self.rate_limits = tuple(rate_limits)
        # one budget per account (key) and server, shared by every client in the process
        account = f"{settings.base_url}#{settings.target}"
        self.client = ApiClient(
            settings.base_url,
            {
                "Authorization": f"Klaviyo-API-Key {settings.api_key.reveal()}",
                "revision": REVISION,
                "Accept": JSON_API,
            },
            secrets=settings.secrets,
            timeout=(settings.connect_timeout, settings.read_timeout),
            retry=settings.retry,
            content_type=JSON_API,
            sleep=sleep,
            rate_limiter=shared_rate_limiter(account, self.rate_limits),
        )
        self.checker = LimitChecker(self.name)

    def close(self) -> None:
        self.client.close()

    def _json(self, response: Any) -> Any:
        return json_body(response, self.name, secrets=self.settings.secrets)

    # ------------------------------------------------------------------ lists

    def ensure_list(self, name: str, *, create: bool = True) -> str | None:
        """The id of the list named ``name``, created when missing (and ``create``). Lists
        have no idempotency key: a create that timed out may still land, so it is not
        resent blindly; the name is read again first (after a pause at least as long as
        the read timeout). Of several lists with the name, the oldest is used, so every
        run picks the same one."""
        attempts = self.client.retry.max_attempts
        for attempt in range(1, attempts + 1):
            found = self._list_named(name)
            if found is not None or not create:
                return found
            body = {"data": {"type": "list", "attributes": {"name": name}}}
            try:
                response = self.client.request(
                    "POST", "/api/lists", body=body, resend_if_maybe_received=False
                )
            except DestinationError as error:
                if not error.retryable or attempt == attempts:
                    raise
                log.warning("creating Klaviyo list %r: %s; checking before retrying", name, error)
                self.client.sleep(max(self.client.timeout[1], self.client.retry.backoff_base))
                continue
            created = str(self._json(response)["data"]["id"])
            log.info("created Klaviyo list %r (%s)", name, created)
            return created
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _list_named(self, name: str) -> str | None:
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        response = self.client.request(
            "GET", "/api/lists", params={"filter": f'equals(name,"{quoted}")'}
        )
        found = sorted(
            self._json(response).get("data") or [],
            key=lambda item: (str(item.get("attributes", {}).get("created") or ""), item["id"]),
        )
        if len(found) > 1:
            log.warning(
                "%d Klaviyo lists are named %r; using the oldest, %s",
                len(found),
                name,
                found[0]["id"],
            )
        return str(found[0]["id"]) if found else None

    # --------------------------------------------------------------- profiles

    def profile_resource(self, record: ProfileRecord) -> dict[str, Any]:
        attributes: dict[str, Any] = {}
        if record.email is not None:
            attributes["email"] = record.email
        if record.external_id is not None:
            attributes["external_id"] = record.external_id
        for path, value in record.attributes.items():
            if "." in path:
                parent, child = path.split(".", 1)
                attributes.setdefault(parent, {})[child] = value
            else:
                attributes[path] = value
        if record.properties:
            attributes["properties"] = record.properties
        return {"type": "profile", "attributes": attributes}

    def record_size(self, record: ProfileRecord) -> int:
        return len(json.dumps(self.profile_resource(record), separators=(",", ":")).encode()) + 1

    def upsert_profiles(
        self, records: Sequence[ProfileRecord], list_id: str | None
    ) -> BatchOutcome:
        """One bulk import job for ``records`` (and into ``list_id``); waits for it and maps
        its import errors back to records."""
        checked = self.checker.check(records, PROFILE_LIMITS, self.profile_resource)
        outcome = BatchOutcome(failed=dict(checked.failed))
        records = checked.sendable
        if not records:
            return outcome
        keys = [record.record_key for record in records]
        job: dict[str, Any] = {
            "type": "profile-bulk-import-job",
            "attributes": {"profiles": {"data": [self.profile_resource(r) for r in records]}},
        }
        if list_id:
            job["relationships"] = {"lists": {"data": [{"type": "list", "id": list_id}]}}
        try:
            created = self._json(
                self.client.request("POST", "/api/profile-bulk-import-jobs", body={"data": job})
            )
            job_id = str(created["data"]["id"])
            status = self._wait_for_job(job_id)
        except DestinationError as exc:
            outcome.fail_all(keys, str(exc))
            return outcome
        attributes = status["data"]["attributes"]
        if attributes["status"] != "complete":
            outcome.fail_all(keys, f"bulk import job {job_id} ended {attributes['status']}")
            return outcome
        failed_count = int(attributes.get("failed_count") or 0)
        named = self._import_errors(job_id, records) if failed_count else {}
        outcome.failed.update(named)
        if failed_count > len(named):
            # some failures match no row: none of the batch is confirmed, so none advances
            unknown = f"bulk import job {job_id}: {failed_count} profiles failed, but only "
            unknown += f"{len(named)} import errors name a row; the batch is re-sent"
            outcome.fail_all([key for key in keys if key not in outcome.failed], unknown)
        outcome.succeeded = [key for key in keys if key not in outcome.failed]
        return outcome

    def _wait_for_job(self, job_id: str) -> dict[str, Any]:
        interval = self.settings.job_poll_interval
        deadline = time.monotonic() + self.settings.job_timeout
        while True:
            status: dict[str, Any] = self._json(
                self.client.request("GET", f"/api/profile-bulk-import-jobs/{job_id}")
            )
            if status["data"]["attributes"]["status"] in ("complete", "cancelled"):
                return status
            if time.monotonic() > deadline:
                raise DestinationError(
                    f"bulk import job {job_id} not finished after {self.settings.job_timeout:.0f}s",
                    retryable=True,
                )
            self.sleep(interval)
            interval = min(interval * 2, self.settings.job_poll_max_interval)

    def _import_errors(self, job_id: str, records: Sequence[ProfileRecord]) -> dict[str, str]:
        by_email = {r.email.strip().lower(): r.record_key for r in records if r.email}
        by_external = {r.external_id: r.record_key for r in records if r.external_id}
        failed: dict[str, str] = {}
        for error in self._pages(
            f"/api/profile-bulk-import-jobs/{job_id}/import-errors", {"page[size]": "100"}
        ):
            attributes = error["attributes"]
            reason = (
                f"{attributes.get('code')}: {attributes.get('detail') or attributes.get('title')}"
            )
            payload = attributes.get("original_payload") or {}
            sent = payload.get("attributes") or {}
            key = None
            if isinstance(sent.get("email"), str):
                key = by_email.get(sent["email"].strip().lower())
            if key is None and sent.get("external_id") is not None:
                key = by_external.get(str(sent["external_id"]))
            if key is None:
                match = _POINTER_INDEX.match((attributes.get("source") or {}).get("pointer") or "")
                if match and int(match[1]) < len(records):
                    key = records[int(match[1])].record_key
            if key is None:
                log.warning(
                    "bulk import job %s: an import error matches no row: %s", job_id, reason
                )
                continue
            failed[key] = reason
        return failed

    def _pages(self, path: str, params: dict[str, str]) -> Iterator[dict[str, Any]]:
        next_path: str | None = path
        query: dict[str, str] | None = params
        while next_path:
            page = self._json(self.client.request("GET", next_path, params=query))
            yield from page.get("data", [])
            link = (page.get("links") or {}).get("next")
            if not link:
                return
            parts = urlsplit(link)
            next_path = f"{parts.path}?{parts.query}" if parts.query else parts.path
            query = None

    # ----------------------------------------------------------- list members

    def profile_ids(self, emails: Sequence[str]) -> dict[str, str]:
        """Klaviyo profile ids by (lowercased) email, for the emails that have a profile."""
        found: dict[str, str] = {}
        for start in range(0, len(emails), LOOKUP_CHUNK):
            chunk = emails[start : start + LOOKUP_CHUNK]
            quoted = ",".join(json.dumps(email) for email in chunk)
            params = {
                "filter": f"any(email,[{quoted}])",
                "page[size]": str(LOOKUP_CHUNK),
                "fields[profile]": "email",
            }
            for profile in self._pages("/api/profiles", params):
                email = (profile["attributes"].get("email") or "").strip().lower()
                if email:
                    found[email] = str(profile["id"])
        return found

    def _member_ids(self, records: Sequence[MemberRecord]) -> dict[str, str]:
        ids = {r.record_key: r.destination_ref for r in records if r.destination_ref}
        missing = [r for r in records if not r.destination_ref and r.email]
        looked_up = self.profile_ids([r.email.strip().lower() for r in missing if r.email])
        for record in missing:
            assert record.email is not None
            profile_id = looked_up.get(record.email.strip().lower())
            if profile_id:
                ids[record.record_key] = profile_id
        return {key: value for key, value in ids.items() if value}

    def _change_members(
        self, method: str, list_id: str, records: Sequence[MemberRecord]
    ) -> BatchOutcome:
        outcome = BatchOutcome()
        keys = [record.record_key for record in records]
        try:
            ids = self._member_ids(records)
            unique_ids = list(dict.fromkeys(ids.values()))
            for start in range(0, len(unique_ids), self.limits.membership_rows):
                chunk = unique_ids[start : start + self.limits.membership_rows]
                body = {"data": [{"type": "profile", "id": profile_id} for profile_id in chunk]}
                self.client.request(
                    method, f"/api/lists/{list_id}/relationships/profiles", body=body
                )
        except DestinationError as exc:
            outcome.fail_all(keys, str(exc))
            return outcome
        outcome.refs = ids
        if method == "POST":
            outcome.succeeded = [key for key in keys if key in ids]
            outcome.fail_all([key for key in keys if key not in ids], "no Klaviyo profile")
        else:  # a row without a profile is not in the list: nothing to remove
            outcome.succeeded = keys
        return outcome

    def add_list_members(self, list_id: str, records: Sequence[MemberRecord]) -> BatchOutcome:
        return self._change_members("POST", list_id, records)

    def remove_list_members(self, list_id: str, records: Sequence[MemberRecord]) -> BatchOutcome:
        return self._change_members("DELETE", list_id, records)

    # ----------------------------------------------------------------- events
    # One POST /api/events per event (350/s, 3,500/m) rather than the bulk job endpoint: its
    # answer is that event's outcome, so the send ledger records each send as sent or failed
    # with its own reason (a bulk job answers 202 for up to 1,000 events and reports none).

    def event_body(self, record: EventRecord) -> dict[str, Any]:
        profile: dict[str, Any] = {}
        if record.email is not None:
            profile["email"] = record.email
        if record.external_id is not None:
            profile["external_id"] = record.external_id
        attributes: dict[str, Any] = {
            "properties": record.properties,
            "time": record.time,
            "unique_id": record.unique_id,  # Klaviyo records one event per unique_id
            "metric": {"data": {"type": "metric", "attributes": {"name": record.metric}}},
            "profile": {"data": {"type": "profile", "attributes": profile}},
        }
        if record.value is not None:
            attributes["value"] = record.value
        return {"data": {"type": "event", "attributes": attributes}}

    def track_events(self, records: Sequence[EventRecord]) -> BatchOutcome:
        """Each event in its own request; a rejected event fails alone. When Klaviyo stops
        answering (retries exhausted on 429/5xx/timeouts) that event and the rest are left
        unsettled and ``outcome.unavailable`` says why. An event over Klaviyo's limits
        (``EVENT_LIMITS``) fails unsent; a property string over 100 KB is cut to it."""
        checked = self.checker.check(records, EVENT_LIMITS, self.event_body)
        outcome = BatchOutcome(failed=dict(checked.failed))
        for record in checked.sendable:
            try:
                self.client.request("POST", "/api/events", body=self.event_body(record))
            except DestinationError as exc:
                if exc.retryable:
                    outcome.unavailable = str(exc)
                    return outcome
                outcome.failed[record.record_key] = str(exc)
                continue
            outcome.succeeded.append(record.record_key)
        return outcome

    # ----------------------------------------------------- suppression read-back

    def read_suppressions(self, since: datetime | None) -> Iterator[SuppressionRecord]:
        """Profiles suppressed for email marketing at or after ``since`` (all when None):
        ``GET /api/profiles`` with their subscriptions, filtered on the suppression
        timestamp (the spec's incremental-pull filter), page by page."""
        after = (since or datetime(1970, 1, 1)).replace(tzinfo=None)
        params = {
            "additional-fields[profile]": "subscriptions",
            "fields[profile]": "email,external_id,subscriptions",
            "filter": f"greater-or-equal({SUPPRESSION_TIMESTAMP},{after:%Y-%m-%dT%H:%M:%SZ})",
            "page[size]": str(LOOKUP_CHUNK),
        }
        floor = after.replace(microsecond=0)
        for profile in self._pages("/api/profiles", params):
            attributes = profile.get("attributes") or {}
            marketing = ((attributes.get("subscriptions") or {}).get("email") or {}).get(
                "marketing"
            ) or {}
            for suppression in marketing.get("suppression") or []:
                at = _utc_naive(suppression["timestamp"])
                if at < floor:
                    continue
                reason = str(suppression.get("reason") or "USER_SUPPRESSED")
                yield SuppressionRecord(
                    destination_ref=str(profile["id"]),
                    email=attributes.get("email"),
                    external_id=attributes.get("external_id"),
                    reason=SUPPRESSION_REASONS.get(reason, reason.lower()),
                    suppressed_at=at,
                )

    # ----------------------------------------------------- preference read-back

    def read_preferences(self, since: datetime | None) -> Iterator[PreferenceRecord]:
        """Profiles changed after ``since`` (all when None) with the preference properties
        a preference page may have set: ``GET /api/profiles`` filtered on ``updated``."""
        after = (since or datetime(1970, 1, 1)).replace(tzinfo=None)
        params = {
            "fields[profile]": "email,external_id,properties,updated",
            "filter": f"greater-than(updated,{after:%Y-%m-%dT%H:%M:%SZ})",
            "page[size]": str(LOOKUP_CHUNK),
        }
        for profile in self._pages("/api/profiles", params):
            attributes = profile.get("attributes") or {}
            properties = attributes.get("properties") or {}
            topics = properties.get(UNSUBSCRIBED_TOPICS)
            frequency = properties.get(EMAIL_FREQUENCY)
            if topics is None and frequency is None:
                continue
            yield PreferenceRecord(
                destination_ref=str(profile["id"]),
                email=attributes.get("email"),
                external_id=attributes.get("external_id"),
                updated_at=_utc_naive(attributes["updated"]),
                unsubscribed_topics=_topics(topics),
                email_frequency=str(frequency).strip().lower() if frequency else None,
            )


def _topics(value: Any) -> tuple[str, ...] | None:
    """A list property (or one topic as text) as lower-cased topic keys."""
    if value is None:
        return None
    listed = value if isinstance(value, list) else [value]
    return tuple(sorted({str(topic).strip().lower() for topic in listed if str(topic).strip()}))


def _utc_naive(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
