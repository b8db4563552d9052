"""Email preferences chosen *after* the dbt build that planned the sends: the
``Email Preferences Updated`` raw events (docs/contracts/raw_events.md, "Email preferences")
received after the build's ``as_of``. The build applied every choice up to then
(triggered_sends: topic opt-outs suppressed, chosen frequencies capped); this says what
changed since, for the contact and for every contact sharing its normalized address, the
latest choice winning (by timestamp, then received_at and message_id).

    fresh = FreshPreferences.load(warehouse, since=build_as_of, windows={"weekly": 7})
    fresh.topic_opted_out("c-1", "ann@example.com", "offers")  # True
    fresh.frequency_window_days("c-1", "ann@example.com", built=None)  # 7
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .fresh_suppressions import contact_addresses
from .raw_tables import raw_relation, raw_table
from .tombstones import normalize_email
from .warehouse import WarehouseConnection

PREFERENCE_EVENT = "email preferences updated"  # matched by lower(trim(event))
Order = tuple[datetime, datetime, str]  # timestamp, received_at, message_id


@dataclass(frozen=True)
class Choice:
    value: Any  # a topic's subscribed (bool) or a frequency's window in days (int | None)
    order: Order


@dataclass
class FreshPreferences:
    since: datetime
    windows: dict[str, int]  # frequency name -> days it allows one email in ('all': absent)
    topics: dict[tuple[str, str], Choice] = field(default_factory=dict)  # (key, topic)
    frequencies: dict[str, Choice] = field(default_factory=dict)  # key -> window

    @classmethod
    def load(
        cls, warehouse: WarehouseConnection, since: datetime, windows: dict[str, int]
    ) -> FreshPreferences:
        fresh = cls(since, dict(windows))
        if warehouse.columns(*raw_table("events")) is None:
            return fresh
        rows = warehouse.fetchall(
            'select user_id, "timestamp", received_at, message_id, properties'
            f" from {raw_relation('events')}"
            " where received_at > ? and lower(trim(event)) = ? and user_id is not null",
            [since, PREFERENCE_EVENT],
        )
        by_contact: dict[str, list[tuple[Order, dict[str, Any]]]] = {}
        for user_id, at, received_at, message_id, properties in rows:
            contact = str(user_id).strip()
            parsed = _properties(properties)
            if contact and at is not None and parsed:
                order = (at, received_at, str(message_id or ""))
                by_contact.setdefault(contact, []).append((order, parsed))
        keys_of = {contact: [f"contact:{contact}"] for contact in by_contact}
        for contact, address in contact_addresses(warehouse, by_contact):
            keys_of[contact].append(address)
        for contact, events in by_contact.items():
            for order, properties in events:
                for key in keys_of[contact]:
                    fresh._choose(key, order, properties)
        return fresh

    def topic_opted_out(self, contact_id: str, email: str | None, topic: str | None) -> bool:
        """True when the person's latest choice since the build opts out of ``topic``."""
        if not topic:
            return False
        latest = self._latest(
            self.topics.get((key, topic.strip().lower())) for key in _keys(contact_id, email)
        )
        return latest is not None and latest.value is False

    def frequency_window_days(
        self, contact_id: str, email: str | None, built: int | None
    ) -> int | None:
        """The days the person's frequency allows one email in: a choice made since the build
        wins over ``built`` (the build's contact_profiles.frequency_window_days)."""
        latest = self._latest(self.frequencies.get(key) for key in _keys(contact_id, email))
        return built if latest is None else latest.value

    def _choose(self, key: str, order: Order, properties: dict[str, Any]) -> None:
        topic = _text(properties.get("topic"))
        subscribed = _boolean(properties.get("subscribed"))
        if topic and subscribed is not None:
            self._keep(self.topics, (key, topic), Choice(subscribed, order))
        frequency = _text(properties.get("frequency"))
        if frequency == "all" or frequency in self.windows:
            self._keep(self.frequencies, key, Choice(self.windows.get(frequency), order))

    @staticmethod
    def _keep(choices: dict[Any, Choice], key: Any, choice: Choice) -> None:
        known = choices.get(key)
        if known is None or known.order < choice.order:
            choices[key] = choice

    @staticmethod
    def _latest(choices: Any) -> Choice | None:
        found = [choice for choice in choices if choice is not None]
        return max(found, key=lambda choice: choice.order) if found else None


def _keys(contact_id: str, email: str | None) -> list[str]:
    keys = [f"contact:{contact_id}"]
    if email:
        keys.append(normalize_email(email))
    return keys


def _properties(text: str | None) -> dict[str, Any]:
    try:
        parsed = json.loads(text) if text else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _text(value: Any) -> str | None:
    return str(value).strip().lower() or None if value is not None else None


def _boolean(value: Any) -> bool | None:
    return {"true": True, "false": False}.get(_text(value) or "")
