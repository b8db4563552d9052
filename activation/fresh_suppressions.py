"""Who may not be emailed *now*, from what is newer than the dbt build that planned a sync or
a send: erasures (tombstones), consent-ending raw events received after the build's
``as_of`` (``Unsubscribed``, ``Email Marked as Spam``, a hard ``Email Bounced``, their names
matched case- and space-insensitively as collectors send them) and suppressions read back
from an ESP after it. Each holds for the contact and for every contact sharing its
normalized email address.

The built profiles say everything up to ``as_of``; this says what landed since. Both the
send-time gate (activation/sends/gate.py) and the audience syncs (activation/sync.py) ask
it, so a list add and an email obey the same state.

    fresh = FreshSuppressions.load(warehouse, since=build_as_of)
    fresh.reason("c-1", "ann@example.com", consent_since=None)  # 'unsubscribed_after_build'
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from .batching import chunks
from .raw_tables import raw_relation, raw_table
from .tombstones import Tombstones, load_tombstones, normalize_email
from .warehouse import WarehouseConnection

log = logging.getLogger(__name__)

CONTACT_PROFILES = ("contacts", "contact_profiles")
ESP_SUPPRESSIONS = ("activation", "esp_suppressions")
CHUNK = 500

# consent-ending events of docs/contracts/raw_events.md, by lower(trim(name))
ENDING_EVENTS = ("unsubscribed", "email marked as spam", "email bounced")
ERASED = "erased"


@dataclass(frozen=True)
class ConsentEnd:
    reason: str
    at: datetime  # when it happened (the event's timestamp)


def consent_end(event: str, properties: str | None) -> str | None:
    """The reason a raw event ends email consent (the rule of int_consent_states_derived),
    or None: an unsubscribe from another channel or a soft bounce does not."""
    name = (event or "").strip().lower()
    try:
        parsed = json.loads(properties) if properties else {}
    except ValueError:
        parsed = {}
    props = parsed if isinstance(parsed, dict) else {}
    if name == "unsubscribed":
        channel = str(props.get("channel") or "email").strip().lower()
        return "unsubscribed" if channel == "email" else None
    if name == "email marked as spam":
        return "spam_complaint"
    if name == "email bounced":
        return "hard_bounce" if str(props.get("bounce_type") or "").lower() == "hard" else None
    return None


@dataclass
class FreshSuppressions:
    since: datetime
    tombstones: Tombstones
    by_contact: dict[str, ConsentEnd] = field(default_factory=dict)
    by_address: dict[str, ConsentEnd] = field(default_factory=dict)
    esp_by_contact: dict[str, str] = field(default_factory=dict)
    esp_by_address: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, warehouse: WarehouseConnection, since: datetime) -> FreshSuppressions:
        fresh = cls(since, load_tombstones(warehouse))
        fresh._load_raw_consent_ends(warehouse)
        fresh._load_esp_suppressions(warehouse)
        return fresh

    def reload_tombstones(self, warehouse: WarehouseConnection) -> None:
        """The tombstones as they are now: an erasure may commit while a long run goes on
        (on an engine that lets it run beside this one)."""
        self.tombstones = load_tombstones(warehouse)

    def reason(
        self, contact_id: str | None, email: str | None, consent_since: datetime | None = None
    ) -> str | None:
        """Why this contact / address may not be emailed now, or None. A consent end counts
        unless it happened before ``consent_since`` (when the consent the build saw began:
        a late-landing old unsubscribe does not undo a newer subscription); without
        ``consent_since`` every consent end since the build counts."""
        address = normalize_email(email) if email else None
        if self.tombstones.covers(email=address, contact_id=contact_id):
            return ERASED
        esp = self.esp_by_contact.get(contact_id or "") or self.esp_by_address.get(address or "")
        if esp:  # named after the ESP, though the read-back also landed it as a raw event
            return f"esp_{esp}"
        for end in (self.by_contact.get(contact_id or ""), self.by_address.get(address or "")):
            if end is not None and (consent_since is None or end.at >= consent_since):
                return f"{end.reason}_after_build"
        return None

    def _load_raw_consent_ends(self, warehouse: WarehouseConnection) -> None:
        if warehouse.columns(*raw_table("events")) is None:
            return
        names = ", ".join(f"'{name}'" for name in ENDING_EVENTS)
        rows = warehouse.fetchall(
            'select user_id, event, "timestamp", properties'
            f" from {raw_relation('events')}"
            f" where received_at > ? and lower(trim(event)) in ({names})"
            " and user_id is not null",
            [self.since],
        )
        ends: dict[str, ConsentEnd] = {}
        for user_id, event, at, properties in rows:
            reason = consent_end(event, properties)
            contact = str(user_id).strip()
            if reason is None or at is None or not contact:
                continue
            if contact not in ends or ends[contact].at < at:
                ends[contact] = ConsentEnd(reason, at)
        self.by_contact = ends
        for contact, address in contact_addresses(warehouse, ends):
            end = ends[contact]
            known = self.by_address.get(address)
            if known is None or known.at < end.at:
                self.by_address[address] = end
        if ends:
            log.info("%d contacts ended email consent after the build of %s", len(ends), self.since)

    def _load_esp_suppressions(self, warehouse: WarehouseConnection) -> None:
        if warehouse.columns(*ESP_SUPPRESSIONS) is None:
            return
        rows = warehouse.fetchall(
            f"select contact_id, email, reason from {'.'.join(ESP_SUPPRESSIONS)}"
            " where landed_at > ? order by suppressed_at",
            [self.since],
        )
        for contact_id, email, reason in rows:
            if contact_id:
                self.esp_by_contact[str(contact_id)] = str(reason)
            if email:
                self.esp_by_address[normalize_email(str(email))] = str(reason)
        for contact, address in contact_addresses(warehouse, list(self.esp_by_contact)):
            self.esp_by_address.setdefault(address, self.esp_by_contact[contact])


def contact_addresses(
    warehouse: WarehouseConnection, contact_ids: Iterable[str]
) -> list[tuple[str, str]]:
    """(contact_id, normalized email) of the contacts that have an email in the profiles."""
    ids: Sequence[str] = sorted(contact_ids)
    if not ids or warehouse.columns(*CONTACT_PROFILES) is None:
        return []
    found: list[tuple[str, str]] = []
    for part in chunks(list(ids), CHUNK):
        listed = ", ".join("?" for _ in part)
        rows = warehouse.fetchall(
            f"select contact_id, email from {'.'.join(CONTACT_PROFILES)}"
            f" where contact_id in ({listed}) and email is not null",
            part,
        )
        found.extend((str(contact), normalize_email(str(email))) for contact, email in rows)
    return found
