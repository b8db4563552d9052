"""Where the warehouse holds one person's data, for ``nudge erase`` and ``nudge export``.

A person is a normalized email address, every contact id found with it (profiles, parsed
and raw identifies, ESP suppressions), every other address those contact ids were known by
(an email changed since: the sync state, the ESPs and the tables still hold the old one)
unless another contact uses it too, and every anonymous id linked to those contact ids by
a raw identify or event that carries both. Their rows, per table:

- dbt-built tables (not views) of the model schemas, and the predictions table:
  ``contact_id`` / ``user_id`` / ``primary_contact_id`` among the contact ids;
  ``anonymous_id`` among the anonymous ids when the row names no other contact (or was
  quarantined: its ids failed the checks, like a user id with a control character);
  ``email`` / ``email_key`` equal to one of the addresses; a JSON text column
  (``properties``, ``context``, ``traits``, ``payload``) holding an address or a contact id
  as a JSON string; the quarantine's copy of the raw row (``raw_row``) holding one of them;
- the raw events and identifies (where activation/raw_tables.py says): the same tests on
  the raw columns (ids compared trimmed, as staging reads them), widened to every copy of
  a message id that is the person's on either side. ``staging.stg_<table>__checked``
  holds one row per raw row and the build fails unless the two reconcile, so its rows are
  chosen by the same message ids: a raw row and its staging row always go together.

Each selection is a WHERE clause with ``?`` parameters, counted, selected or deleted as is,
or rendered with its values inlined (``Selection.delete_sql``) for someone else to run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .errors import ActivationError
from .raw_tables import raw_relation
from .state import STATE_TABLE
from .tombstones import normalize_email
from .warehouse import WarehouseConnection, quote

MODEL_SCHEMAS = (
    "staging",
    "intermediate",
    "contacts",
    "segments",
    "triggers",
    "performance",
    "syncs",
)
# tables Nudge computes from the person's data outside dbt: the predictions per contact
# (nudge/predictions/store.py), erased at once rather than at the next fit
DERIVED_SCHEMAS = ("predictions",)
PROFILES = "contacts.contact_profiles"
LEDGER = "activation.send_ledger"
SUPPRESSIONS = "activation.esp_suppressions"

ID_COLUMNS = ("contact_id", "user_id", "primary_contact_id")
EMAIL_COLUMNS = ("email", "email_key")
JSON_COLUMNS = ("properties", "context", "traits", "payload")
# (relation, contact id column, email column): where a contact id and an address meet
ADDRESS_BOOKS = (
    (PROFILES, "contact_id", "email"),
    ("staging.stg_identifies__checked", "user_id", "email"),
    (SUPPRESSIONS, "contact_id", "email"),
    (SUPPRESSIONS, "external_id", "email"),
)
RAW_ROW = "raw_row"  # the raw row as JSON text: nested JSON columns appear escaped in it


class UnknownAddress(Exception):
    """Nothing in the warehouse belongs to this address."""


@dataclass(frozen=True)
class Person:
    email: str  # normalized: the address asked for
    contact_ids: tuple[str, ...]
    anonymous_ids: tuple[str, ...]
    # other addresses of the contact ids that no other contact uses (normalized)
    other_emails: tuple[str, ...] = ()
    # other addresses of the contact ids that another contact uses too: left alone, they
    # are not the person's alone; counted only
    shared_emails: tuple[str, ...] = ()

    @property
    def emails(self) -> tuple[str, ...]:
        return (self.email, *self.other_emails)

    def json_needles(self) -> list[str]:
        """The addresses and contact ids as JSON strings, lowercased (columns are lowered)."""
        return [f'"{value.lower()}"' for value in (*self.emails, *self.contact_ids)]

    def escaped_needles(self) -> list[str]:
        """The same inside JSON text embedded in JSON (``raw_row``'s ``traits``)."""
        return [f'\\"{value.lower()}\\"' for value in (*self.emails, *self.contact_ids)]


@dataclass(frozen=True)
class Selection:
    """One table's rows of the person."""

    relation: str
    where: str
    params: tuple[Any, ...]

    @property
    def table(self) -> str:
        schema, name = self.relation.split(".")
        return f"{quote(schema)}.{quote(name)}"

    def count(self, warehouse: WarehouseConnection) -> int:
        rows = warehouse.fetchall(
            f"select count(*) from {self.table} where {self.where}", self.params
        )
        return int(rows[0][0])

    def rows(self, warehouse: WarehouseConnection) -> list[dict[str, Any]]:
        columns = warehouse.columns(*self.relation.split(".")) or []
        found = warehouse.fetchall(f"select * from {self.table} where {self.where}", self.params)
        return [dict(zip(columns, row, strict=True)) for row in found]

    def delete(self, warehouse: WarehouseConnection) -> None:
        warehouse.execute(f"delete from {self.table} where {self.where}", self.params)

    @property
    def delete_sql(self) -> str:
        """The delete statement with its values inlined, for whoever owns the table."""
        return literal_sql(f"delete from {self.table} where {self.where};", self.params)


def literal_sql(sql: str, params: Sequence[Any]) -> str:
    parts = sql.split("?")
    if len(parts) != len(params) + 1:
        raise ValueError("one parameter per placeholder")
    out = [parts[0]]
    for value, part in zip(params, parts[1:], strict=True):
        out.append("'" + str(value).replace("'", "''") + "'" + part)
    return "".join(out)


def normalize_address(email: str) -> str:
    cleaned = normalize_email(email)
    if not _looks_like_address(cleaned):
        raise ActivationError(f"--email must be an email address, got {email!r}")
    return cleaned


def raw_mirrors() -> dict[str, str]:
    """Raw table (where the dbt sources read it) -> the staging table holding one row per
    raw row (reconciled by every build)."""
    return {
        raw_relation("events"): "staging.stg_events__checked",
        raw_relation("identifies"): "staging.stg_identifies__checked",
    }


def exists(warehouse: WarehouseConnection, relation: str) -> bool:
    return warehouse.columns(*relation.split(".")) is not None


def find_person(warehouse: WarehouseConnection, email: str) -> Person:
    address = normalize_address(email)
    contact_ids = sorted(_contact_ids(warehouse, address))
    others: list[str] = []
    shared: list[str] = []
    for other in sorted(_addresses(warehouse, contact_ids) - {address}):
        alone = _contact_ids(warehouse, other) <= set(contact_ids)
        (others if alone else shared).append(other)
    return Person(
        address,
        tuple(contact_ids),
        tuple(sorted(_anonymous_ids(warehouse, contact_ids))),
        tuple(others),
        tuple(shared),
    )


def with_other_emails(person: Person, addresses: Iterable[str]) -> Person:
    """The person with these addresses among their other ones."""
    others = set(person.other_emails) | set(addresses)
    others.discard(person.email)
    return replace(person, other_emails=tuple(sorted(others)))


def _contact_ids(warehouse: WarehouseConnection, address: str) -> set[str]:
    found: set[str] = set()
    for relation, id_column, email_column in ADDRESS_BOOKS:
        if exists(warehouse, relation):
            rows = warehouse.fetchall(
                f"select distinct {id_column} from {relation}"
                f" where lower(trim({email_column})) = ? and {id_column} is not null",
                [address],
            )
            found.update(str(row[0]).strip() for row in rows)
    identifies = raw_relation("identifies")
    if exists(warehouse, identifies):  # also identifies staging could not parse
        rows = warehouse.fetchall(
            f"select nullif(trim(user_id), ''), traits from {identifies}"
            " where position(? in lower(traits)) > 0",
            [address],
        )
        found.update(str(user) for user, traits in rows if user and _email_of(traits) == address)
    return {contact for contact in found if contact}


def _addresses(warehouse: WarehouseConnection, contact_ids: Sequence[str]) -> set[str]:
    """Every address the contact ids were known by (``ADDRESS_BOOKS``, the raw identifies)."""
    if not contact_ids:
        return set()
    marks = _marks(contact_ids)
    found: set[str] = set()
    for relation, id_column, email_column in ADDRESS_BOOKS:
        if exists(warehouse, relation):
            rows = warehouse.fetchall(
                f"select distinct lower(trim({email_column})) from {relation}"
                f" where {id_column} in ({marks})",
                contact_ids,
            )
            found.update(str(row[0]) for row in rows if row[0])
    identifies = raw_relation("identifies")
    if exists(warehouse, identifies):  # also identifies staging could not parse
        rows = warehouse.fetchall(
            f"select traits from {identifies} where {_clean('user_id')} in ({marks})", contact_ids
        )
        found.update(email for (traits,) in rows if (email := _email_of(traits)))
    return {address for address in found if _looks_like_address(address)}


def _looks_like_address(value: str) -> bool:
    return "@" in value and not value.startswith("@") and not value.endswith("@")


def _email_of(traits: str | None) -> str | None:
    try:
        parsed = json.loads(traits or "")
    except ValueError:
        return None
    email = parsed.get("email") if isinstance(parsed, dict) else None
    return normalize_email(email) if isinstance(email, str) else None


def _anonymous_ids(warehouse: WarehouseConnection, contact_ids: Sequence[str]) -> set[str]:
    if not contact_ids:
        return set()
    marks = _marks(contact_ids)
    found: set[str] = set()
    for relation in raw_mirrors():
        if exists(warehouse, relation):
            rows = warehouse.fetchall(
                f"select distinct nullif(trim(anonymous_id), '') from {relation}"
                f" where nullif(trim(user_id), '') in ({marks})",
                contact_ids,
            )
            found.update(str(row[0]) for row in rows if row[0])
    return found


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


def _one_of(expression: str, values: Sequence[Any]) -> str:
    """``expression = ?`` for one value (the statements the README shows), else ``in``."""
    return f"{expression} = ?" if len(values) == 1 else f"{expression} in ({_marks(values)})"


def _clean(column: str) -> str:
    """How staging reads a raw id (macros/checks/text_checks.sql, clean_text)."""
    return f"nullif(trim({quote(column)}), '')"


def row_filter(
    person: Person,
    columns: Iterable[str],
    *,
    raw: bool = False,
    emails: bool = True,
    quarantined: bool = False,
) -> tuple[str, list[Any]] | None:
    """WHERE clause and parameters selecting the person's rows of a table with these
    columns (``raw``: ids compared as staging cleans them), or None if it has no column
    that can name a person. A row on one of the person's devices is theirs unless it names
    another contact, and a quarantined row (a ``quarantine_reason``, or every row when
    ``quarantined``) names nobody: its ids did not pass the checks."""
    present = {column.lower() for column in columns}

    def expr(column: str) -> str:
        return _clean(column) if raw else quote(column)

    clauses: list[str] = []
    params: list[Any] = []
    ids = [column for column in ID_COLUMNS if column in present]
    if person.contact_ids:
        for column in ids:
            clauses.append(f"{expr(column)} in ({_marks(person.contact_ids)})")
            params.extend(person.contact_ids)
    if "anonymous_id" in present and person.anonymous_ids:
        clause = f"{expr('anonymous_id')} in ({_marks(person.anonymous_ids)})"
        nobody = " and ".join(f"{expr(column)} is null" for column in ids)
        if "quarantine_reason" in present and nobody:
            nobody = f"({nobody} or quarantine_reason is not null)"
        clauses.append(clause if quarantined or not nobody else f"{clause} and {nobody}")
        params.extend(person.anonymous_ids)
    if emails:
        for column in (c for c in EMAIL_COLUMNS if c in present):
            clauses.append(_one_of(f"lower(trim({quote(column)}))", person.emails))
            params.extend(person.emails)
    for column in (c for c in JSON_COLUMNS if c in present):
        for needle in person.json_needles():
            clauses.append(f"position(? in lower({quote(column)})) > 0")
            params.append(needle)
    if RAW_ROW in present:
        for needle in person.escaped_needles():
            clauses.append(f"position(? in lower({quote(RAW_ROW)})) > 0")
            params.append(needle)
    if not clauses:
        return None
    return " or ".join(f"({clause})" for clause in clauses), params


def _columns(warehouse: WarehouseConnection, relation: str) -> list[str]:
    return warehouse.columns(*relation.split(".")) or []


def raw_selections(warehouse: WarehouseConnection, person: Person) -> list[Selection]:
    """The person's rows of each raw table and of its staging mirror, raw first: the raw
    statement reads the staging table, so it must run before the staging one."""
    selections: list[Selection] = []
    for raw, checked in raw_mirrors().items():
        has_raw, has_checked = exists(warehouse, raw), exists(warehouse, checked)
        raw_filter = row_filter(person, _columns(warehouse, raw), raw=True) if has_raw else None
        # rows without a message id: all quarantined, compared alike on both sides
        loose_filter = (
            row_filter(person, _columns(warehouse, raw), raw=True, quarantined=True)
            if has_raw
            else None
        )
        checked_filter = row_filter(person, _columns(warehouse, checked)) if has_checked else None
        # staging's email column has no raw column to match: it only adds message ids
        checked_loose = (
            row_filter(person, _columns(warehouse, checked), emails=False, quarantined=True)
            if has_checked
            else None
        )
        message_ids: list[str] = []
        message_params: list[Any] = []
        if raw_filter is not None:
            message_ids.append(f"select {_clean('message_id')} from {raw} where {raw_filter[0]}")
            message_params.extend(raw_filter[1])
        if checked_filter is not None:
            message_ids.append(f"select message_id from {checked} where {checked_filter[0]}")
            message_params.extend(checked_filter[1])
        if raw_filter is not None and loose_filter is not None:
            selections.append(
                Selection(
                    raw,
                    f"{_clean('message_id')} in ({' union '.join(message_ids)})"
                    f" or ({_clean('message_id')} is null and ({loose_filter[0]}))",
                    (*message_params, *loose_filter[1]),
                )
            )
        if checked_filter is not None and checked_loose is not None:
            selections.append(
                Selection(
                    checked,
                    f"message_id in (select message_id from {checked} where {checked_filter[0]})"
                    f" or (message_id is null and ({checked_loose[0]}))",
                    (*checked_filter[1], *checked_loose[1]),
                )
            )
    return selections


def model_selections(warehouse: WarehouseConnection, person: Person) -> list[Selection]:
    """The person's rows of every dbt-built table (views recompute from them) of the model
    schemas and of the tables computed beside dbt (predictions), but the staging mirrors of
    the raw tables (``raw_selections``)."""
    listed = ", ".join(f"'{schema}'" for schema in (*MODEL_SCHEMAS, *DERIVED_SCHEMAS))
    tables = warehouse.fetchall(
        "select table_schema, table_name from information_schema.tables"
        f" where table_schema in ({listed}) and table_type = 'BASE TABLE'"
        " order by table_schema, table_name"
    )
    mirrors = set(raw_mirrors().values())
    selections = []
    for schema, table in tables:
        relation = f"{schema}.{table}"
        if relation in mirrors:
            continue
        found = row_filter(person, _columns(warehouse, relation))
        if found is not None:
            selections.append(Selection(relation, found[0], tuple(found[1])))
    return selections


def activation_selections(warehouse: WarehouseConnection, person: Person) -> list[Selection]:
    """The person's rows of the activation tables that name them: sync state (by address),
    send ledger (by contact id), ESP suppressions read back (by address or id)."""
    selections = []
    emails = person.emails
    if exists(warehouse, STATE_TABLE):
        selections.append(Selection(STATE_TABLE, _one_of("record_key", emails), emails))
    ids = person.contact_ids
    if ids and exists(warehouse, LEDGER):
        selections.append(Selection(LEDGER, f"contact_id in ({_marks(ids)})", ids))
    if exists(warehouse, SUPPRESSIONS):
        where = _one_of("lower(trim(email))", emails)
        if ids:
            where += f" or contact_id in ({_marks(ids)}) or external_id in ({_marks(ids)})"
        selections.append(Selection(SUPPRESSIONS, where, (*emails, *ids, *ids)))
    return selections
