"""Braze email preferences: each Nudge topic is an email subscription group
(``BRAZE_PREFERENCE_GROUPS``), read with ``GET /subscription/user/status`` for up to 50
``external_id[]`` per call. It answers, per user, the groups the user has a status in
(``users[].subscription_groups[]``: ``id``, ``channel``, ``status`` Subscribed /
Unsubscribed); a group a user never had a status in is not listed, and is no opt-out.

Why this endpoint and not ``POST /users/export/ids``: both take 50 users a call, but the
export's limit is 250 requests a minute for newer workspaces (this one's is Braze's default
250,000 an hour), and the export's documented fields hold the global ``email_subscribe``,
not the groups. Braze keeps no time of a group change here: a record's ``updated_at`` is when
it was read, and its ``version`` is "" (each opt-out of a user lands once).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from ...batching import chunks
from ...preference_topics import opted_out_topics
from ..base import PreferenceRecord

SUBSCRIPTION_STATUS_PATH = "/subscription/user/status"
USERS_PER_CALL = 50
RESULTS_LIMIT = 100  # the largest page; 50 users by external_id never fill it


def subscription_status_path(external_ids: Sequence[str]) -> str:
    query = [("external_id[]", external_id) for external_id in external_ids]
    return f"{SUBSCRIPTION_STATUS_PATH}?{urlencode([*query, ('limit', str(RESULTS_LIMIT))])}"


def read_subscription_groups(
    get: Callable[[str], Any],
    external_ids: Sequence[str],
    topics: Mapping[str, str],
    read_at: datetime,
) -> Iterator[PreferenceRecord]:
    """The preferences of the users with these external ids that have a status in one of
    ``topics``' groups (``get``: path -> the JSON answer)."""
    asked = set(external_ids)
    for part in chunks(external_ids, USERS_PER_CALL):
        for user in get(subscription_status_path(part)).get("users") or []:
            external_id = user.get("external_id")
            states = [
                (str(group.get("id")), str(group.get("status", "")).lower() == "subscribed")
                for group in user.get("subscription_groups") or []
                if str(group.get("channel", "email")).lower() == "email"
                and str(group.get("id")) in topics
            ]
            if external_id not in asked or not states:
                continue
            yield PreferenceRecord(
                destination_ref=str(external_id),
                email=user.get("email"),
                external_id=str(external_id),
                updated_at=read_at,
                unsubscribed_topics=opted_out_topics(states, topics),
                email_frequency=None,
                version="",
            )
