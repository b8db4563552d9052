"""The warehouse side of erasing one person (``activation/runs/erase.py`` runs the steps): what
their erasure touches, counted before anything changes, and the one transaction that deletes
and pseudonymizes it and logs the erasure in ``activation.erasures`` under the pseudonym."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from .personal_data import (
    LEDGER,
    SUPPRESSIONS,
    Person,
    Selection,
    activation_selections,
    model_selections,
    raw_selections,
)
from .state import STATE_TABLE, utcnow
from .tombstones import normalize_email, tombstone_hash
from .warehouse import Table, WarehouseConnection
from .warehouse.tables import ColumnKind, text, timestamp

ERASURES = Table(
    "activation",
    "erasures",
    (
        text("pseudonym", nullable=False),
        timestamp("erased_at", nullable=False),
        text("erased_targets", nullable=False),
        text("failed_targets", nullable=False),
        # added later (appended, nullable): the person's other addresses, as a JSON list
        text("other_pseudonyms"),
    ),
)
ERASURES_TABLE = ERASURES.qualified
LEDGER_PSEUDONYMIZED = ("contact_id", "send_key", "series_id", "last_error")
SUPPRESSION_PSEUDONYMS: tuple[tuple[str, ColumnKind], ...] = (
    ("email", "text"),
    ("external_id", "text"),
    ("destination_ref", "text"),
    ("contact_id", "text"),
)


def pseudonym(value: str, salt: str) -> str:
    return "erased:" + tombstone_hash(value, salt)[:32]


def reached_targets(warehouse: WarehouseConnection, person: Person) -> set[str]:
    """Accounts holding the person now: from the sync state, ledger and suppressions."""
    found: set[str] = set()
    for selection in activation_selections(warehouse, person):
        rows = warehouse.fetchall(
            f"select distinct destination_target from {selection.table} where {selection.where}",
            selection.params,
        )
        found.update(str(row[0]) for row in rows)
    return found


def _logged(warehouse: WarehouseConnection, names: Sequence[str], what: str) -> list[tuple]:
    """``what`` of the logged erasures of one of these pseudonyms, oldest first: erasures
    asked under it, or naming it among the person's other addresses."""
    columns = warehouse.columns(ERASURES.schema, ERASURES.name)
    if not names or columns is None:
        return []
    where = f"pseudonym in ({', '.join('?' for _ in names)})"
    params = list(names)
    if "other_pseudonyms" in columns:  # not in a log from before the column was added
        for name in names:
            where += " or position(? in coalesce(other_pseudonyms, '')) > 0"
            params.append(json.dumps(name))
    return warehouse.fetchall(
        f"select {what} from {ERASURES_TABLE} where {where} order by erased_at", params
    )


def pending_targets(warehouse: WarehouseConnection, names: Sequence[str]) -> set[str]:
    """Accounts an earlier erasure of one of these pseudonyms (of the person's addresses)
    could not reach and no later one did."""
    pending: set[str] = set()
    for erased, failed in _logged(warehouse, names, "erased_targets, failed_targets"):
        pending = (pending - set(json.loads(erased))) | set(json.loads(failed))
    return pending


def pending_addresses(
    warehouse: WarehouseConnection, names: Sequence[str], targets: Iterable[str], salt: str
) -> set[str]:
    """The person's addresses that the sync state still holds at the accounts an earlier
    erasure could not reach (``targets``; ``forget`` keeps those rows for the rerun): the
    warehouse no longer links them to the person, but that erasure logged their
    pseudonyms."""
    if "other_pseudonyms" not in (warehouse.columns(ERASURES.schema, ERASURES.name) or []):
        return set()  # a log from before the column: no other addresses were erased
    logged: set[str] = set()
    for asked, others in _logged(warehouse, names, "pseudonym, other_pseudonyms"):
        logged.update([str(asked), *json.loads(others or "[]")])
    reached = sorted(targets)
    if not logged or not reached:
        return set()
    keys = warehouse.fetchall(
        f"select distinct record_key from {STATE_TABLE}"
        f" where destination_target in ({', '.join('?' for _ in reached)})",
        reached,
    )
    return {str(key) for (key,) in keys if pseudonym(str(key), salt) in logged}


class ErasurePlan:
    """What erasing the person touches in the warehouse, counted before anything changes;
    ``keep_raw`` leaves the raw tables (and their staging mirrors) to their owner."""

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

    def owner_sql(self) -> list[str]:
        """The raw tables' deletes, in one transaction, for the owner of the raw tables."""
        statements = [s.delete_sql for s in self.raw]
        return ["begin transaction;", *statements, "commit;"] if statements else []


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


def _at_targets(selection: Selection, targets: Sequence[str], *, inside: bool) -> Selection:
    """The selection's rows at the accounts ``targets`` (``inside``), or at every other."""
    marks = ", ".join("?" for _ in targets)
    where = f"({selection.where}) and destination_target {'' if inside else 'not '}in ({marks})"
    return Selection(selection.relation, where, (*selection.params, *targets))


def forget(
    warehouse: WarehouseConnection,
    plan: ErasurePlan,
    salt: str,
    *,
    erased: Iterable[str],
    failed: Iterable[str],
) -> int:
    """In one transaction: delete the person's sync state rows, pseudonymize their ledger rows
    and read-back suppressions, delete their rows from the planned tables, and log the
    erasure (the accounts ``erased`` at and ``failed``) under their pseudonym. The state rows
    of the ``failed`` accounts stay until a rerun erases the person there: the person is
    still in those accounts' lists, and a mirror sync removes them only while its state
    says they are members. Returns how many state rows stayed."""
    unreached = sorted(failed)
    activation = activation_selections(warehouse, plan.person)
    kept = 0
    # before the transaction: on Snowflake a CREATE TABLE would commit it half done
    warehouse.ensure_table(ERASURES)
    with warehouse.transaction():
        for selection in activation:
            if selection.relation == STATE_TABLE:
                if unreached:
                    kept = _at_targets(selection, unreached, inside=True).count(warehouse)
                    selection = _at_targets(selection, unreached, inside=False)
                selection.delete(warehouse)
            elif selection.relation == LEDGER:
                _pseudonymize_ledger(warehouse, selection, salt)
            else:
                _pseudonymize_suppressions(warehouse, selection, salt)
        for selection in plan.deleted:  # raw tables first: their statements read staging
            selection.delete(warehouse)
        warehouse.insert_rows(
            ERASURES_TABLE,
            ERASURES.column_names,
            [
                (
                    pseudonym(plan.person.email, salt),
                    utcnow(),
                    json.dumps(sorted(erased)),
                    json.dumps(unreached),
                    json.dumps([pseudonym(other, salt) for other in plan.person.other_emails]),
                )
            ],
        )
    # deleted rows leave the engine's files (write-ahead log, dead tuples) for good
    warehouse.purge_deleted([s.table for s in (*activation, *plan.deleted)])
    return kept
