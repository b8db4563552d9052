"""Data-privacy deletion: a profile and everything tied to it (list memberships, events)
leave the account, as ``POST /api/data-privacy-deletion-jobs`` does in Klaviyo."""

from __future__ import annotations

from typing import Any

from .store import Store


def delete_profile(store: Store, profile_id: str | None, identifiers: dict[str, Any]) -> str | None:
    """Delete the profile with this id, or else this email / phone number; returns the id
    deleted (None when no profile matched)."""
    found = profile_id if profile_id and store.get_profile(profile_id) else None
    for field in ("email", "phone_number"):
        value = identifiers.get(field)
        if found is None and isinstance(value, str) and value.strip():
            found = store.find_profile_id(field, value)
    if found is None:
        return None
    with store.transaction() as db:
        db.execute("delete from list_members where profile_id = ?", (found,))
        db.execute("delete from events where profile_id = ?", (found,))
        db.execute("delete from profiles where id = ?", (found,))
    return found
