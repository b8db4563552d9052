"""`nudge erase --email X`: the right to erasure (GDPR art. 17) for one contact.

1. Finds every destination account the contact reached: the sync state (one row per synced
   email and account), the send ledger and the suppressions read back from ESPs.
2. Asks each of those destinations to delete the contact (Klaviyo: a data-privacy deletion
   job). An account the current settings do not reach (another API key or host) is
   reported and left for a later run with those settings.
3. In the warehouse, for every account erased: deletes the contact's sync state rows
   (``activation.sync_state``) and pseudonymizes what must stay for the record: the send
   ledger's ``contact_id`` (and ``series_id`` where it embeds it) and the email / contact /
   external id of read-back suppressions, as ``erased:<salted sha-256>``. The salt is random per
   warehouse (``activation.erasure_salt``) unless ``NUDGE_ERASURE_SALT`` sets it.
4. Logs the erasure in ``activation.erasures`` under the pseudonym (never the email).

The raw tables and the dbt models built from them are not touched: if the contact is still
in a sync's audience, the next sync sends it again, and the command says so.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from activation.destinations import build_destination
from activation.destinations.base import Erasable
from activation.errors import ActivationError
from activation.settings import DestinationSettings, redact
from activation.state import STATE_TABLE, utcnow
from activation.warehouse import Warehouse

LEDGER_TABLE = "activation.send_ledger"
SUPPRESSIONS_TABLE = "activation.esp_suppressions"
SALT_TABLE = "activation.erasure_salt"
ERASURES_TABLE = "activation.erasures"
PROFILES_TABLE = ("contacts", "contact_profiles")

SettingsFor = Callable[[str], DestinationSettings]


@dataclass
class Erasure:
    """What erasing one contact did (or, for a dry run, would do)."""

    pseudonym: str
    contact_ids: list[str]
    targets: list[str]
    erased: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    state_rows_deleted: int = 0
    ledger_rows_pseudonymized: int = 0
    suppressions_pseudonymized: int = 0
    still_in_audience: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def complete(self) -> bool:
        return not self.failed


def normalize(email: str) -> str:
    cleaned = email.strip().lower()
    if "@" not in cleaned or cleaned.startswith("@") or cleaned.endswith("@"):
        raise ActivationError(f"--email must be an email address, got {email!r}")
    return cleaned


def _exists(warehouse: Warehouse, qualified: str) -> bool:
    schema, table = qualified.split(".")
    return warehouse.columns(schema, table) is not None


def _salt(warehouse: Warehouse) -> str:
    configured = os.environ.get("NUDGE_ERASURE_SALT", "").strip()
    if configured:
        return configured
    warehouse.execute("create schema if not exists activation")
    warehouse.execute(f"create table if not exists {SALT_TABLE} (salt varchar not null)")
    rows = warehouse.fetchall(f"select salt from {SALT_TABLE}")
    if rows:
        return str(rows[0][0])
    salt = secrets.token_hex(16)
    warehouse.execute(f"insert into {SALT_TABLE} values (?)", [salt])
    return salt


def pseudonym(value: str, salt: str) -> str:
    return "erased:" + hashlib.sha256(f"{salt}\x1f{value}".encode()).hexdigest()[:32]


def _contact_ids(warehouse: Warehouse, email: str) -> list[str]:
    found: set[str] = set()
    if warehouse.columns(*PROFILES_TABLE) is not None:
        rows = warehouse.fetchall(
            "select distinct contact_id from contacts.contact_profiles"
            " where lower(trim(email)) = ? and contact_id is not null",
            [email],
        )
        found.update(str(row[0]) for row in rows)
    if _exists(warehouse, SUPPRESSIONS_TABLE):
        rows = warehouse.fetchall(
            f"select distinct contact_id from {SUPPRESSIONS_TABLE}"
            " where lower(trim(email)) = ? and contact_id is not null",
            [email],
        )
        found.update(str(row[0]) for row in rows)
    return sorted(found)


def _targets(warehouse: Warehouse, email: str, contact_ids: list[str]) -> list[str]:
    targets: set[str] = set()
    if _exists(warehouse, STATE_TABLE):
        rows = warehouse.fetchall(
            f"select distinct destination_target from {STATE_TABLE} where record_key = ?",
            [email],
        )
        targets.update(str(row[0]) for row in rows)
    if contact_ids and _exists(warehouse, LEDGER_TABLE):
        listed = ", ".join("?" for _ in contact_ids)
        rows = warehouse.fetchall(
            f"select distinct destination_target from {LEDGER_TABLE}"
            f" where contact_id in ({listed})",
            contact_ids,
        )
        targets.update(str(row[0]) for row in rows)
    if _exists(warehouse, SUPPRESSIONS_TABLE):
        rows = warehouse.fetchall(
            f"select distinct destination_target from {SUPPRESSIONS_TABLE}"
            " where lower(trim(email)) = ?",
            [email],
        )
        targets.update(str(row[0]) for row in rows)
    return sorted(targets)


def _audiences_with(warehouse: Warehouse, email: str) -> list[str]:
    """Sync source tables (schema ``syncs``) that still hold this email."""
    rows = warehouse.fetchall(
        "select table_name from information_schema.columns"
        " where table_schema = 'syncs' and column_name = 'email' order by table_name"
    )
    found = []
    for (table,) in rows:
        hits = warehouse.fetchall(
            f'select count(*) from syncs."{table}" where lower(trim(email)) = ?', [email]
        )
        if hits[0][0]:
            found.append(f"syncs.{table}")
    return found


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


def _forget(warehouse: Warehouse, erasure: Erasure, email: str, salt: str) -> None:
    """Warehouse side, for the accounts erased: delete sync state, pseudonymize the rest."""
    targets = erasure.erased
    if not targets:
        return
    listed = ", ".join("?" for _ in targets)
    with warehouse.transaction():
        if _exists(warehouse, STATE_TABLE):
            where = f"record_key = ? and destination_target in ({listed})"
            count = warehouse.fetchall(
                f"select count(*) from {STATE_TABLE} where {where}", [email, *targets]
            )
            warehouse.execute(f"delete from {STATE_TABLE} where {where}", [email, *targets])
            erasure.state_rows_deleted = int(count[0][0])
        if erasure.contact_ids and _exists(warehouse, LEDGER_TABLE):
            for contact_id in erasure.contact_ids:
                where = f"contact_id = ? and destination_target in ({listed})"
                count = warehouse.fetchall(
                    f"select count(*) from {LEDGER_TABLE} where {where}", [contact_id, *targets]
                )
                warehouse.execute(
                    f"update {LEDGER_TABLE} set contact_id = ?,"
                    " series_id = replace(series_id, ?, ?) where " + where,
                    [
                        pseudonym(contact_id, salt),
                        contact_id,
                        pseudonym(contact_id, salt),
                        contact_id,
                        *targets,
                    ],
                )
                erasure.ledger_rows_pseudonymized += int(count[0][0])
        if _exists(warehouse, SUPPRESSIONS_TABLE):
            where = f"lower(trim(email)) = ? and destination_target in ({listed})"
            count = warehouse.fetchall(
                f"select count(*) from {SUPPRESSIONS_TABLE} where {where}", [email, *targets]
            )
            warehouse.execute(
                f"update {SUPPRESSIONS_TABLE} set email = ?,"
                " contact_id = case when contact_id is null then null else ? end,"
                " external_id = case when external_id is null then null else ? end"
                f" where {where}",
                [erasure.pseudonym, erasure.pseudonym, erasure.pseudonym, email, *targets],
            )
            erasure.suppressions_pseudonymized = int(count[0][0])
        warehouse.execute(
            f"create table if not exists {ERASURES_TABLE} (pseudonym varchar not null,"
            " erased_at timestamp not null, erased_targets varchar not null,"
            " failed_targets varchar not null)"
        )
        warehouse.execute(
            f"insert into {ERASURES_TABLE} values (?, ?, ?, ?)",
            [erasure.pseudonym, utcnow(), json.dumps(targets), json.dumps(sorted(erasure.failed))],
        )


def erase_contact(
    warehouse_path: Path,
    email: str,
    settings_for: SettingsFor,
    *,
    dry_run: bool = False,
    console: Console | None = None,
) -> Erasure:
    """Erase ``email`` from every destination it reached and pseudonymize it in the
    activation tables (see the module docstring); ``dry_run`` only reports."""
    key = normalize(email)
    with Warehouse(warehouse_path) as warehouse:
        salt = _salt(warehouse) if not dry_run else "dry-run"
        contact_ids = _contact_ids(warehouse, key)
        erasure = Erasure(
            pseudonym=pseudonym(key, salt),
            contact_ids=contact_ids,
            targets=_targets(warehouse, key, contact_ids),
            dry_run=dry_run,
        )
        erasure.still_in_audience = _audiences_with(warehouse, key)
        if dry_run:
            return erasure
        with Progress(console=console, transient=True, disable=console is None) as progress:
            task = progress.add_task("Erasing at destinations", total=len(erasure.targets))
            for target in erasure.targets:
                problem = _erase_at(target, key, settings_for)
                if problem is None:
                    erasure.erased.append(target)
                else:
                    erasure.failed[target] = problem
                progress.advance(task)
        _forget(warehouse, erasure, key, salt)
    return erasure


def summary_table(erasure: Erasure) -> Table:
    title = "Erasure (dry run: nothing changed)" if erasure.dry_run else "Erasure"
    table = Table(title=title)
    table.add_column("")
    table.add_column("")
    table.add_row("pseudonym", erasure.pseudonym if not erasure.dry_run else "(not computed)")
    table.add_row("destination accounts", "\n".join(erasure.targets) or "none")
    if not erasure.dry_run:
        table.add_row("erased at", "\n".join(erasure.erased) or "none")
        for target, why in erasure.failed.items():
            table.add_row("[red]not erased[/red]", f"{target}: {why}")
        table.add_row("sync state rows deleted", f"{erasure.state_rows_deleted:,}")
        table.add_row("ledger rows pseudonymized", f"{erasure.ledger_rows_pseudonymized:,}")
        table.add_row("suppressions pseudonymized", f"{erasure.suppressions_pseudonymized:,}")
    if erasure.still_in_audience:
        table.add_row(
            "[yellow]still in audience[/yellow]",
            ", ".join(erasure.still_in_audience)
            + " (remove the contact from the raw data, or the next sync sends it again)",
        )
    return table
