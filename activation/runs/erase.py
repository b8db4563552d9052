"""The right to erasure (GDPR art. 17) for one person, as ``nudge erase`` runs it.

1. Finds the person (activation/personal_data.py: the address, its contact ids, the other
   addresses those ids were known by that no other contact uses, their anonymous ids) and
   every destination account it reached: the sync state, the send ledger, the suppressions
   read back from ESPs, and accounts an earlier erasure could not reach. An address the
   warehouse knows nothing about is refused, and nothing is written.
2. Writes the erasure tombstones first (activation/tombstones.py: the salted hashes of
   each address and of each contact id), so from then on no sync adds the person and no
   send reaches them, whatever the raw data says again later.
3. Asks each destination to delete the contact under each of its addresses (Klaviyo: a
   data-privacy deletion job per address): an address changed since a sync may still name
   a profile or list member there. An account the current settings do not reach is
   reported and logged; rerunning with its settings erases it there.
4. In the warehouse, in one transaction (activation/erasure.py): deletes the sync state
   rows of the address (but at an account step 3 could not reach, where the person is still
   in the lists: a mirror sync there removes them until a rerun); pseudonymizes what must
   stay for the record (the send ledger's contact_id, send_key, series_id and last_error;
   the read-back suppressions' email, external id and ESP profile id, their contact_id
   cleared) with the salted hash, so no id can be confirmed by recomputing a key; deletes
   the person's rows from every dbt-built table and from the raw tables. Raw tables a
   collector owns (``keep_raw`` or ``NUDGE_RAW_TABLES_OWNED=false``) are left with their
   staging mirrors, and the exact statements their owner must run are returned instead.
5. Logs the erasure in ``activation.erasures`` under the pseudonym (never the email).

A suppression's ``message_id`` is kept: it is a hash of the ESP's own profile id, not of
the email or a contact id, and the read-back needs it to recognise a suppression it
already landed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..destinations import build_destination
from ..destinations.base import Erasable
from ..erasure import (
    ErasurePlan,
    forget,
    pending_addresses,
    pending_targets,
    pseudonym,
    reached_targets,
)
from ..errors import ActivationError, ConfigurationError
from ..personal_data import (
    LEDGER,
    SUPPRESSIONS,
    UnknownAddress,
    find_person,
    normalize_address,
    with_other_emails,
)
from ..settings import DestinationSettings, redact
from ..state import STATE_TABLE, utcnow
from ..tombstones import add_tombstones, erasure_salt, load_tombstones, stored_salt
from ..warehouse import open_warehouse

RAW_OWNED_ENV = "NUDGE_RAW_TABLES_OWNED"

SettingsFor = Callable[[str], DestinationSettings]
ErasureProgress = Callable[[int, int], None]  # (destination accounts done, in all)


@dataclass
class Erasure:
    """What erasing one person did (or, for a dry run, would do)."""

    pseudonym: str
    contact_ids: list[str]
    targets: list[str]
    other_addresses: int = 0  # the person's other addresses, erased too
    shared_addresses: int = 0  # other addresses of the contact ids another contact uses: kept
    dry_run: bool = False
    already_erased: bool = False
    raw_kept: bool = False
    erased: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    tombstones: int = 0
    state_rows_deleted: int = 0
    ledger_rows_pseudonymized: int = 0
    suppressions_pseudonymized: int = 0
    rows_deleted: dict[str, int] = field(default_factory=dict)  # per table, rows > 0
    rows_left: dict[str, int] = field(default_factory=dict)  # raw tables Nudge may not change
    owner_sql: list[str] = field(default_factory=list)  # for raw tables Nudge may not change

    @property
    def complete(self) -> bool:
        return not self.failed


def raw_tables_owned() -> bool:
    """Whether Nudge may delete from the raw tables (``NUDGE_RAW_TABLES_OWNED``, default
    true); false when a collector loads and owns them."""
    value = os.environ.get(RAW_OWNED_ENV, "true").strip().lower()
    if value in ("", "true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise ConfigurationError(f"{RAW_OWNED_ENV} must be true or false, got {value!r}")


def erase_at(target: str, emails: Sequence[str], settings_for: SettingsFor) -> str | None:
    """Erase every one of the person's addresses at one account; None on success, else why
    not."""
    destination_name = target.split(":", 1)[0]
    try:
        settings = settings_for(destination_name)
    except ActivationError as exc:
        return f"no settings for {destination_name}: {exc}"
    if settings.target != target:
        return (
            f"the current {destination_name} settings reach {settings.target}, not this "
            "account; rerun with that account's base URL and key in the environment"
        )
    destination = build_destination(settings)
    try:
        if not isinstance(destination, Erasable):
            return f"{destination_name} has no erasure support in Nudge yet"
        for email in emails:
            destination.erase_contact(email)
    except ActivationError as exc:
        return redact(str(exc), settings.secrets)
    finally:
        destination.close()
    return None


def erase_contact(
    warehouse_path: str | Path | None,
    email: str,
    settings_for: SettingsFor,
    *,
    dry_run: bool = False,
    keep_raw: bool | None = None,
    on_progress: ErasureProgress | None = None,
) -> Erasure:
    """Erase the person with this address everywhere Nudge reached or holds it (see the
    module docstring), in the warehouse of the dbt target (``warehouse_path``: the DuckDB
    file); ``keep_raw`` (default: ``NUDGE_RAW_TABLES_OWNED``) leaves the raw tables to their
    owner; ``dry_run`` only counts. Raises UnknownAddress when the warehouse holds nothing
    on the address."""
    key = normalize_address(email)
    kept = not raw_tables_owned() if keep_raw is None else keep_raw
    with open_warehouse(warehouse_path) as warehouse:
        person = find_person(warehouse, key)
        salt = stored_salt(warehouse)
        names = [pseudonym(address, salt) for address in person.emails] if salt else []
        pending = pending_targets(warehouse, names)
        if salt and pending:  # a rerun: the addresses an earlier one left at those accounts
            person = with_other_emails(person, pending_addresses(warehouse, names, pending, salt))
        plan = ErasurePlan(warehouse, person, kept)
        tombstones = load_tombstones(warehouse)
        tombstoned = tombstones.covers(email=key)
        new_ids = [c for c in person.contact_ids if not tombstones.covers(contact_id=c)]
        new_others = [e for e in person.other_emails if not tombstones.covers(email=e)]
        targets = reached_targets(warehouse, person) | pending
        if not (plan.holds_anything or targets or tombstoned):
            raise UnknownAddress(f"{key}: Nudge holds nothing on this address; nothing changed")
        erasure = Erasure(
            pseudonym=pseudonym(key, salt or erasure_salt(warehouse)) if not dry_run else "",
            contact_ids=list(person.contact_ids),
            targets=sorted(targets),
            other_addresses=len(person.other_emails),
            shared_addresses=len(person.shared_emails),
            dry_run=dry_run,
            already_erased=tombstoned,
            raw_kept=kept,
            tombstones=(0 if tombstoned else 1) + len(new_others) + len(new_ids),
            state_rows_deleted=plan.activation.get(STATE_TABLE, 0),
            ledger_rows_pseudonymized=plan.activation.get(LEDGER, 0),
            suppressions_pseudonymized=plan.activation.get(SUPPRESSIONS, 0),
            rows_deleted=plan.deletions(plan.deleted),
            rows_left=plan.deletions(plan.raw) if kept else {},
            owner_sql=plan.owner_sql() if kept else [],
        )
        if dry_run:
            return erasure
        add_tombstones(
            warehouse,
            email=key,
            other_emails=person.other_emails,
            contact_ids=person.contact_ids,
            erased_at=utcnow(),
        )
        for done, target in enumerate(erasure.targets, start=1):
            problem = erase_at(target, person.emails, settings_for)
            if problem is None:
                erasure.erased.append(target)
            else:
                erasure.failed[target] = problem
            if on_progress is not None:
                on_progress(done, len(erasure.targets))
        erasure.state_rows_deleted -= forget(
            warehouse, plan, erasure_salt(warehouse), erased=erasure.erased, failed=erasure.failed
        )
    return erasure
