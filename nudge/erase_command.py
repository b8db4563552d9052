"""`nudge erase --email X`: the right to erasure (GDPR art. 17) for one person.

1. Finds the person (nudge/personal_data.py: the address, its contact ids, their anonymous
   ids) and every destination account it reached: the sync state, the send ledger, the
   suppressions read back from ESPs, and accounts an earlier erasure could not reach. An
   address the warehouse knows nothing about is refused, and nothing is written.
2. Writes the erasure tombstones first (activation/tombstones.py: the salted hashes of the
   address and of each contact id), so from then on no sync adds the person and no send
   reaches them, whatever the raw data says again later.
3. Asks each destination to delete the contact (Klaviyo: a data-privacy deletion job). An
   account the current settings do not reach is reported and logged; rerunning with its
   settings erases it there.
4. In the warehouse, in one transaction: deletes the sync state rows of the address;
   pseudonymizes what must stay for the record (the send ledger's contact_id, send_key,
   series_id and last_error; the read-back suppressions' email, external id and ESP
   profile id, their contact_id cleared) with the salted hash, so no id can be confirmed
   by recomputing a key; deletes the person's rows from every dbt-built table and from the
   raw tables. Raw tables a collector owns (``--keep-raw`` or
   ``NUDGE_RAW_TABLES_OWNED=false``) are left with their staging mirrors, and the exact
   statements their owner must run are returned instead.
5. Logs the erasure in ``activation.erasures`` under the pseudonym (never the email).

A suppression's ``message_id`` is kept: it is a hash of the ESP's own profile id, not of
the email or a contact id, and the read-back needs it to recognise a suppression it
already landed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console, Group
from rich.progress import Progress
from rich.table import Table

from activation.destinations import build_destination
from activation.destinations.base import Erasable
from activation.errors import ActivationError, ConfigurationError
from activation.settings import DestinationSettings, redact
from activation.state import STATE_TABLE, utcnow
from activation.tombstones import (
    add_tombstones,
    erasure_salt,
    load_tombstones,
    normalize_email,
    stored_salt,
    tombstone_hash,
)
from activation.warehouse import Table as StateTable
from activation.warehouse import WarehouseConnection, open_warehouse
from activation.warehouse.tables import ColumnKind, text, timestamp
from nudge.personal_data import (
    LEDGER,
    SUPPRESSIONS,
    Person,
    Selection,
    UnknownAddress,
    activation_selections,
    exists,
    find_person,
    model_selections,
    normalize_address,
    raw_selections,
)

ERASURES = StateTable(
    "activation",
    "erasures",
    (
        text("pseudonym", nullable=False),
        timestamp("erased_at", nullable=False),
        text("erased_targets", nullable=False),
        text("failed_targets", nullable=False),
    ),
)
ERASURES_TABLE = ERASURES.qualified
RAW_OWNED_ENV = "NUDGE_RAW_TABLES_OWNED"
LEDGER_PSEUDONYMIZED = ("contact_id", "send_key", "series_id", "last_error")
SUPPRESSION_PSEUDONYMS: tuple[tuple[str, ColumnKind], ...] = (
    ("email", "text"),
    ("external_id", "text"),
    ("destination_ref", "text"),
    ("contact_id", "text"),
)

SettingsFor = Callable[[str], DestinationSettings]


@dataclass
class Erasure:
    """What erasing one person did (or, for a dry run, would do)."""

    pseudonym: str
    contact_ids: list[str]
    targets: list[str]
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


def _transaction(statements: list[str]) -> list[str]:
    return ["begin transaction;", *statements, "commit;"] if statements else []


def pseudonym(value: str, salt: str) -> str:
    return "erased:" + tombstone_hash(value, salt)[:32]


def _targets(warehouse: WarehouseConnection, person: Person) -> set[str]:
    """Accounts holding the person now: from the sync state, ledger and suppressions."""
    found: set[str] = set()
    for selection in activation_selections(warehouse, person):
        rows = warehouse.fetchall(
            f"select distinct destination_target from {selection.table} where {selection.where}",
            selection.params,
        )
        found.update(str(row[0]) for row in rows)
    return found


def _pending_targets(warehouse: WarehouseConnection, name: str) -> set[str]:
    """Accounts an earlier erasure of this pseudonym could not reach and no later one did."""
    if not exists(warehouse, ERASURES_TABLE):
        return set()
    pending: set[str] = set()
    rows = warehouse.fetchall(
        f"select erased_targets, failed_targets from {ERASURES_TABLE}"
        " where pseudonym = ? order by erased_at",
        [name],
    )
    for erased, failed in rows:
        pending = (pending - set(json.loads(erased))) | set(json.loads(failed))
    return pending


def _erase_at(target: str, email: str, settings_for: SettingsFor) -> str | None:
    """Erase at one account; None on success, else why not."""
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
        destination.erase_contact(email)
    except ActivationError as exc:
        return redact(str(exc), settings.secrets)
    finally:
        destination.close()
    return None


class _Plan:
    """What erasing the person touches in the warehouse, counted before anything changes."""

    def __init__(self, warehouse: WarehouseConnection, person: Person, keep_raw: bool) -> None:
        self.person = person
        self.raw = raw_selections(warehouse, person)
        self.models = model_selections(warehouse, person)
        self.deleted = self.models if keep_raw else [*self.raw, *self.models]
        self.counts = {s.relation: s.count(warehouse) for s in [*self.raw, *self.models]}
        self.activation = {
            s.relation: s.count(warehouse) for s in activation_selections(warehouse, person)
        }

    @property
    def holds_anything(self) -> bool:
        counts = [*self.counts.values(), *self.activation.values()]
        return bool(self.person.contact_ids) or any(counts)

    def deletions(self, selections: Sequence[Selection]) -> dict[str, int]:
        return {s.relation: self.counts[s.relation] for s in selections if self.counts[s.relation]}


def _pseudonymize_ledger(warehouse: WarehouseConnection, selection: Selection, salt: str) -> None:
    """Rewrite the person's ledger rows under pseudonyms (delete and insert: send_key is in
    the primary key)."""
    rows = selection.rows(warehouse)
    if not rows:
        return
    for row in rows:
        for column in LEDGER_PSEUDONYMIZED:
            if row.get(column) is not None:
                row[column] = pseudonym(str(row[column]), salt)
    columns = list(rows[0])
    selection.delete(warehouse)
    warehouse.insert_rows(LEDGER, columns, [[row[c] for c in columns] for row in rows])


def _pseudonymize_suppressions(
    warehouse: WarehouseConnection, selection: Selection, salt: str
) -> None:
    """Email, external id and ESP profile id under pseudonyms; contact_id cleared, as for a
    suppression matching no contact (the read-back then never waits for its raw event)."""
    rows = [
        (
            row["message_id"],
            None if row["email"] is None else pseudonym(normalize_email(str(row["email"])), salt),
            None if row["external_id"] is None else pseudonym(str(row["external_id"]), salt),
            pseudonym(str(row["destination_ref"]), salt),
            None,
        )
        for row in selection.rows(warehouse)
    ]
    warehouse.update_rows(SUPPRESSIONS, "message_id", SUPPRESSION_PSEUDONYMS, rows)


def _forget(warehouse: WarehouseConnection, erasure: Erasure, plan: _Plan, salt: str) -> None:
    """The warehouse side, in one transaction (see the module docstring, step 4)."""
    activation = activation_selections(warehouse, plan.person)
    with warehouse.transaction():
        for selection in activation:
            if selection.relation == STATE_TABLE:
                selection.delete(warehouse)
            elif selection.relation == LEDGER:
                _pseudonymize_ledger(warehouse, selection, salt)
            else:
                _pseudonymize_suppressions(warehouse, selection, salt)
        for selection in plan.deleted:  # raw tables first: their statements read staging
            selection.delete(warehouse)
        warehouse.ensure_table(ERASURES)
        warehouse.insert_rows(
            ERASURES_TABLE,
            ERASURES.column_names,
            [
                (
                    erasure.pseudonym,
                    utcnow(),
                    json.dumps(sorted(erasure.erased)),
                    json.dumps(sorted(erasure.failed)),
                )
            ],
        )
    # deleted rows leave the engine's files (write-ahead log, dead tuples) for good
    warehouse.purge_deleted([s.table for s in (*activation, *plan.deleted)])


def erase_contact(
    warehouse_path: Path | None,
    email: str,
    settings_for: SettingsFor,
    *,
    dry_run: bool = False,
    keep_raw: bool | None = None,
    console: Console | None = None,
) -> Erasure:
    """Erase the person with this address everywhere Nudge reached or holds it (see the
    module docstring), in the warehouse of the dbt target (``warehouse_path``: the DuckDB
    file); ``keep_raw`` (default: ``NUDGE_RAW_TABLES_OWNED``) leaves the raw
    tables to their owner; ``dry_run`` only counts. Raises UnknownAddress when the
    warehouse holds nothing on the address."""
    key = normalize_address(email)
    kept = not raw_tables_owned() if keep_raw is None else keep_raw
    with open_warehouse(warehouse_path) as warehouse:
        person = find_person(warehouse, key)
        plan = _Plan(warehouse, person, kept)
        salt = stored_salt(warehouse)
        tombstones = load_tombstones(warehouse)
        tombstoned = tombstones.covers(email=key)
        new_ids = [c for c in person.contact_ids if not tombstones.covers(contact_id=c)]
        pending = _pending_targets(warehouse, pseudonym(key, salt)) if salt else set()
        targets = _targets(warehouse, person) | pending
        if not (plan.holds_anything or targets or tombstoned):
            raise UnknownAddress(f"{key}: Nudge holds nothing on this address; nothing changed")
        erasure = Erasure(
            pseudonym=pseudonym(key, salt or erasure_salt(warehouse)) if not dry_run else "",
            contact_ids=list(person.contact_ids),
            targets=sorted(targets),
            dry_run=dry_run,
            already_erased=tombstoned,
            raw_kept=kept,
            tombstones=(0 if tombstoned else 1) + len(new_ids),
            state_rows_deleted=plan.activation.get(STATE_TABLE, 0),
            ledger_rows_pseudonymized=plan.activation.get(LEDGER, 0),
            suppressions_pseudonymized=plan.activation.get(SUPPRESSIONS, 0),
            rows_deleted=plan.deletions(plan.deleted),
            rows_left=plan.deletions(plan.raw) if kept else {},
            owner_sql=_transaction([s.delete_sql for s in plan.raw]) if kept else [],
        )
        if dry_run:
            return erasure
        add_tombstones(warehouse, email=key, contact_ids=person.contact_ids, erased_at=utcnow())
        with Progress(console=console, transient=True, disable=console is None) as progress:
            task = progress.add_task("Erasing at destinations", total=len(erasure.targets))
            for target in erasure.targets:
                problem = _erase_at(target, key, settings_for)
                if problem is None:
                    erasure.erased.append(target)
                else:
                    erasure.failed[target] = problem
                progress.advance(task)
        _forget(warehouse, erasure, plan, erasure_salt(warehouse))
    return erasure


def summary_table(erasure: Erasure) -> Group:
    dry = erasure.dry_run

    def did(what: str, verb: str, past: str) -> str:
        return f"{what} to {verb}" if dry else f"{what} {past}"

    table = Table(title="Erasure (dry run: nothing changed)" if dry else "Erasure")
    table.add_column("")
    table.add_column("")
    table.add_row("pseudonym", erasure.pseudonym or "(not computed)")
    if erasure.already_erased:
        table.add_row("already erased", "yes: an earlier erasure left its tombstone")
    table.add_row("destination accounts", "\n".join(erasure.targets) or "none")
    if not dry:
        table.add_row("erased at", "\n".join(erasure.erased) or "none")
        for target, why in erasure.failed.items():
            table.add_row("[red]not erased[/red]", f"{target}: {why}")
    table.add_row(
        did("new tombstones", "write", "written"),
        f"{erasure.tombstones} (covering the address and {_ids(len(erasure.contact_ids))})",
    )
    table.add_row(did("sync state rows", "delete", "deleted"), f"{erasure.state_rows_deleted:,}")
    table.add_row(
        did("ledger rows", "pseudonymize", "pseudonymized"),
        f"{erasure.ledger_rows_pseudonymized:,}",
    )
    table.add_row(
        did("suppressions", "pseudonymize", "pseudonymized"),
        f"{erasure.suppressions_pseudonymized:,}",
    )
    total = sum(erasure.rows_deleted.values())
    table.add_row(did("warehouse rows", "delete", "deleted"), f"{total:,} (per table below)")
    if erasure.raw_kept:
        table.add_row(
            "[yellow]raw tables kept[/yellow]",
            "owned by a collector: the statements below delete the rows there and in their"
            " staging mirrors; run them together, in one transaction",
        )
    return Group(table, _rows_table(erasure))


def _ids(count: int) -> str:
    return f"{count} contact id" + ("" if count == 1 else "s")


def _rows_table(erasure: Erasure) -> Table:
    table = Table(title="Rows to delete" if erasure.dry_run else "Rows deleted")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for relation, count in erasure.rows_deleted.items():
        table.add_row(relation, f"{count:,}")
    for relation, count in erasure.rows_left.items():
        table.add_row(f"{relation} [yellow](left to its owner)[/yellow]", f"{count:,}")
    return table
