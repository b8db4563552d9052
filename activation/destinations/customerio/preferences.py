"""Customer.io email preferences: subscription-center topics are the reserved attribute
``cio_subscription_preferences`` (``{"topics": {"topic_3": false, …}}``, true = subscribed;
``CUSTOMERIO_PREFERENCE_TOPICS`` says which topic is which Nudge topic), read through the
App API with ``POST /v1/customers/attributes?id_type=id`` for up to 100 ids a call. The App
API answers attributes as text: the preferences are stringified JSON. Only what the person
set is read (``cio_subscription_preferences``), not ``_cio_subscription_preferences_computed``
whose unset opt-in topics read false without anyone having chosen. The time a person's
preferences last changed is ``timestamps.cio_subscription_preferences`` (deprecated by
Customer.io: without it, a record's ``updated_at`` is when it was read and its ``version``
"", so each opt-out of a person lands once).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ...batching import chunks
from ...preference_topics import opted_out_topics
from ...settings import DestinationSettings, options_of
from ..base import PreferenceRecord
from ..responses import json_body
from .app_api import app_api_client
from .settings import CustomerioEnvOptions

CUSTOMERS_ATTRIBUTES_PATH = "/v1/customers/attributes"
IDS_PER_CALL = 100
PREFERENCES = "cio_subscription_preferences"


class CustomerioPreferences:
    """Reads the subscription-center topics of people by id."""

    def __init__(
        self, settings: DestinationSettings, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.settings, self.client = app_api_client(
            settings, "subscription preferences are", sleep=sleep
        )
        self.topics = dict(options_of(settings, CustomerioEnvOptions).preference_topics)

    def close(self) -> None:
        self.client.close()

    def read(self, ids: Sequence[str]) -> Iterator[PreferenceRecord]:
        for part in chunks(ids, IDS_PER_CALL):
            response = self.client.request(
                "POST", f"{CUSTOMERS_ATTRIBUTES_PATH}?id_type=id", body={"ids": part}
            )
            answer = json_body(response, "customerio", secrets=self.settings.secrets)
            read_at = datetime.now(UTC).replace(tzinfo=None)
            for entry in answer.get("customers") or []:
                record = person_preferences(entry.get("customer") or {}, self.topics, read_at)
                if record is not None:
                    yield record


def person_preferences(
    customer: Mapping[str, Any], topics: Mapping[str, str], read_at: datetime
) -> PreferenceRecord | None:
    """A person's topics as a record; None when they set none of ``topics``."""
    attributes = customer.get("attributes") or {}
    chosen = _topics(attributes.get(PREFERENCES))
    states = [(topic, on) for topic, on in chosen.items() if topic in topics]
    if not states:
        return None
    identifiers = customer.get("identifiers") or {}
    person_id = str(identifiers.get("id") or customer.get("id"))
    changed = (customer.get("timestamps") or {}).get(PREFERENCES)
    return PreferenceRecord(
        destination_ref=person_id,
        email=identifiers.get("email") or attributes.get("email"),
        external_id=person_id,
        updated_at=_moment(changed) if changed else read_at,
        unsubscribed_topics=opted_out_topics(states, topics),
        email_frequency=None,
        version=None if changed else "",
    )


def _topics(value: Any) -> dict[str, bool]:
    """``{"topics": {...}}`` (as text, or an object) -> topic id -> subscribed."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except ValueError:
            return {}
    topics = value.get("topics") if isinstance(value, dict) else None
    if not isinstance(topics, dict):
        return {}
    return {str(topic): _true(on) for topic, on in topics.items() if on is not None}


def _true(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1")


def _moment(seconds: Any) -> datetime:
    return datetime.fromtimestamp(int(seconds), UTC).replace(tzinfo=None)
