"""Erasure tombstones, ``activation.erasure_tombstones``: what ``nudge erase`` leaves behind so
an erased person is never synced or emailed again, even when a collector sends their data
anew. One row per erased value (each normalized address of the person, each contact id) as
a salted SHA-256: the table cannot be read back into an address, and without the
warehouse's salt a guess cannot be confirmed. Every sync and send checks them
(activation/fresh_suppressions.py).

The salt is random per warehouse (``activation.erasure_salt``) unless ``NUDGE_ERASURE_SALT``
sets it. Checked with another salt, the tombstones would match nobody: a salt set after the
warehouse made its own, or tombstones with no salt set or stored (made with one set where
``nudge erase`` ran but not here), are refused with a ConfigurationError, never read as no
erasures. Tombstones are loaded whole into a set: erasure requests are few (thousands, not
millions), and a set makes the check per row free.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from .errors import ConfigurationError
from .warehouse import WarehouseConnection
from .warehouse.tables import Table, text, timestamp

SALT_ENV = "NUDGE_ERASURE_SALT"

TOMBSTONES = Table(
    "activation",
    "erasure_tombstones",
    (
        text("kind", nullable=False),
        text("value_hash", nullable=False),
        timestamp("erased_at", nullable=False),
    ),
    primary_key=("kind", "value_hash"),
)
SALT = Table("activation", "erasure_salt", (text("salt", nullable=False),))
TOMBSTONES_TABLE = TOMBSTONES.qualified
SALT_TABLE = SALT.qualified


def normalize_email(email: str) -> str:
    return email.strip().lower()


def stored_salt(warehouse: WarehouseConnection) -> str | None:
    """The salt if one is set or was made (nobody erased yet: None); writes nothing.
    ConfigurationError when the one set differs from the one the warehouse made."""
    configured = os.environ.get(SALT_ENV, "").strip()
    made = None
    if warehouse.columns(SALT.schema, SALT.name) is not None:
        rows = warehouse.fetchall(f"select salt from {SALT_TABLE}")
        made = str(rows[0][0]) if rows else None
    if configured and made is not None and configured != made:
        raise ConfigurationError(
            f"{SALT_ENV} is not the salt the earlier erasures were made with ({SALT_TABLE}): "
            "their tombstones would match nobody. Unset it, or set it to the salt stored there"
        )
    return configured or made


def erasure_salt(warehouse: WarehouseConnection) -> str:
    """The warehouse's salt for pseudonyms and tombstones (created on first use)."""
    salt = stored_salt(warehouse)
    if salt is not None:
        return salt
    warehouse.ensure_table(SALT)
    salt = secrets.token_hex(16)
    warehouse.execute(f"insert into {SALT_TABLE} values (?)", [salt])
    return salt


def tombstone_hash(value: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}\x1f{value}".encode()).hexdigest()


def ensure_tombstones(warehouse: WarehouseConnection) -> None:
    warehouse.ensure_table(TOMBSTONES)


def add_tombstones(
    warehouse: WarehouseConnection,
    *,
    email: str,
    contact_ids: Sequence[str],
    erased_at: datetime,
    other_emails: Sequence[str] = (),
) -> None:
    """Tombstones for a person's addresses and contact ids (already present ones are kept)."""
    ensure_tombstones(warehouse)
    salt = erasure_salt(warehouse)
    wanted = {
        ("email", tombstone_hash(normalize_email(address), salt))
        for address in (email, *other_emails)
    }
    wanted |= {("contact_id", tombstone_hash(contact_id, salt)) for contact_id in contact_ids}
    rows = [(kind, value, erased_at) for kind, value in sorted(wanted)]
    warehouse.upsert_rows(
        TOMBSTONES_TABLE, TOMBSTONES.column_names, TOMBSTONES.primary_key, rows, keep_existing=True
    )


@dataclass(frozen=True)
class Tombstones:
    salt: str = ""
    hashes: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    def covers(self, *, email: str | None = None, contact_id: str | None = None) -> bool:
        if not self.hashes:
            return False
        if email and ("email", tombstone_hash(normalize_email(email), self.salt)) in self.hashes:
            return True
        return bool(contact_id) and (
            ("contact_id", tombstone_hash(str(contact_id), self.salt)) in self.hashes
        )

    def __len__(self) -> int:
        return len(self.hashes)


def load_tombstones(warehouse: WarehouseConnection) -> Tombstones:
    """Every tombstone of the warehouse (none when nobody was erased yet)."""
    if warehouse.columns(TOMBSTONES.schema, TOMBSTONES.name) is None:
        return Tombstones()
    rows = warehouse.fetchall(f"select kind, value_hash from {TOMBSTONES_TABLE}")
    if not rows:
        return Tombstones()
    salt = stored_salt(warehouse)
    if salt is None:  # a new salt would match none of them
        raise ConfigurationError(
            f"{TOMBSTONES_TABLE} holds erasures but no salt is set: set {SALT_ENV} to the "
            "salt `nudge erase` ran with"
        )
    return Tombstones(salt, frozenset((str(k), str(v)) for k, v in rows))
