"""`nudge export --email X`: the right of access (GDPR art. 15) for one person: every row
the warehouse holds on them, as one JSON document. The rows are the ones ``nudge erase``
deletes or pseudonymizes (activation/personal_data.py): the raw events and identifies and their
staging copies, every dbt-built table (profile, RFM, segment memberships and transitions,
triggered sends, …), the send ledger, the sync state and the ESP suppressions read back.
The person's other addresses (``other_emails``: an email changed since, no other contact
using it) are theirs too; an address another contact also uses is left out. No ESP is
called.

    {"email": "ann@example.com", "exported_at": "...", "other_emails": [...],
     "contact_ids": [...], "anonymous_ids": [...], "row_counts": {"raw.events": 41, ...},
     "tables": {"raw.events": [{"message_id": "...", ...}, ...], ...}}
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from activation.personal_data import (
    UnknownAddress,
    activation_selections,
    find_person,
    model_selections,
    raw_selections,
)
from activation.state import utcnow
from activation.tombstones import load_tombstones
from activation.warehouse import open_warehouse


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)  # exact, as stored
    raise TypeError(f"cannot export a {type(value).__name__}")


def export_person(warehouse_path: Path | None, email: str) -> str:
    """The JSON document (see the module docstring); raises UnknownAddress when the
    warehouse holds nothing on the address. The warehouse is the dbt target's
    (``open_warehouse``; ``warehouse_path`` is the DuckDB file)."""
    with open_warehouse(warehouse_path, read_only=True) as warehouse:
        person = find_person(warehouse, email)
        selections = [
            *raw_selections(warehouse, person),
            *model_selections(warehouse, person),
            *activation_selections(warehouse, person),
        ]
        tables = {s.relation: rows for s in selections if (rows := s.rows(warehouse))}
        if not tables:
            erased = load_tombstones(warehouse).covers(email=person.email)
            note = " (it was erased)" if erased else ""
            raise UnknownAddress(f"{person.email}: Nudge holds nothing on this address{note}")
    document = {
        "email": person.email,
        "exported_at": utcnow().isoformat() + "Z",
        "other_emails": list(person.other_emails),
        "contact_ids": list(person.contact_ids),
        "anonymous_ids": list(person.anonymous_ids),
        "row_counts": {relation: len(rows) for relation, rows in tables.items()},
        "tables": tables,
    }
    return json.dumps(document, indent=2, default=_json_value, ensure_ascii=False)
