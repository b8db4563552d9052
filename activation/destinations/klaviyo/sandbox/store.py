"""The sandbox's account state in SQLite: profiles, lists, memberships, metrics, events and
bulk import jobs. One connection guarded by a lock; a file path makes the state survive a
restart, no path keeps it in memory.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import SandboxError, invalid, not_found
from .ids import now_iso, short_id, ulid

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z0-9-]{2,}$")
PROFILE_FIELDS = (
    "email",
    "phone_number",
    "external_id",
    "first_name",
    "last_name",
    "organization",
    "locale",
    "title",
    "image",
)
IDENTIFIERS = ("email", "phone_number", "external_id")
LOCATION_FIELDS = (
    "address1",
    "address2",
    "city",
    "country",
    "latitude",
    "longitude",
    "region",
    "zip",
    "timezone",
    "ip",
)
DEFAULT_SUBSCRIPTIONS: dict[str, Any] = {
    "email": {"marketing": {"can_receive_email_marketing": False, "consent": "NEVER_SUBSCRIBED"}}
}

SCHEMA = """
create table if not exists profiles (
    id text primary key,
    email text unique,
    phone_number text unique,
    external_id text unique,
    attributes text not null,
    properties text not null,
    subscriptions text not null,
    created text not null,
    updated text not null
);
create table if not exists lists (
    id text primary key,
    name text not null,
    opt_in_process text,
    created text not null,
    updated text not null
);
create table if not exists list_members (
    seq integer primary key autoincrement,
    list_id text not null,
    profile_id text not null,
    joined_at text not null,
    unique (list_id, profile_id)
);
create table if not exists metrics (
    id text primary key,
    name text not null unique,
    created text not null
);
create table if not exists events (
    seq integer primary key autoincrement,
    id text not null unique,
    metric_id text not null,
    profile_id text not null,
    properties text not null,
    time text not null,
    value real,
    value_currency text,
    unique_id text,
    dedupe_key text not null,
    created text not null,
    unique (profile_id, metric_id, dedupe_key)
);
create table if not exists import_jobs (
    id text primary key,
    status text not null,
    total_count integer not null,
    completed_count integer not null default 0,
    failed_count integer not null default 0,
    list_ids text not null,
    payload text,
    created_at text not null,
    started_at text,
    completed_at text,
    expires_at text
);
create table if not exists import_errors (
    seq integer primary key autoincrement,
    id text not null unique,
    job_id text not null,
    code text not null,
    title text not null,
    detail text not null,
    pointer text,
    original_payload text
);
"""
TABLES = (
    "profiles",
    "lists",
    "list_members",
    "metrics",
    "events",
    "import_jobs",
    "import_errors",
)


SUPPRESSION_REASONS = (
    "HARD_BOUNCE",
    "INVALID_EMAIL",
    "SPAM_COMPLAINT",
    "UNSUBSCRIBE",
    "USER_SUPPRESSED",
)
SUPPRESSION_TIMESTAMP = "subscriptions.email.marketing.suppression.timestamp"


def suppression_time(when: datetime) -> str:
    """UTC ISO 8601 with microseconds, so stored timestamps compare as text."""
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Store:
    def __init__(self, path: str | Path | None = None) -> None:
        target = str(path) if path else ":memory:"
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("pragma journal_mode=wal" if path else "pragma journal_mode=memory")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        with self.lock:
            self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            self.db.execute("begin")
            try:
                yield self.db
            except BaseException:
                self.db.execute("rollback")
                raise
            self.db.execute("commit")

    def reset(self) -> None:
        with self.transaction() as db:
            for table in TABLES:
                db.execute(f"delete from {table}")

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {
                table: int(self.db.execute(f"select count(*) from {table}").fetchone()[0])
                for table in TABLES
            }

    # ---------------------------------------------------------------- profiles

    def get_profile(self, profile_id: str) -> dict[str, Any] | None:
        with self.lock:
            row = self.db.execute("select * from profiles where id = ?", (profile_id,)).fetchone()
        return _profile(row) if row else None

    def find_profile_id(self, field: str, value: str) -> str | None:
        if field not in IDENTIFIERS:
            raise ValueError(field)
        if field == "email":
            value = normalize_email(value)
        with self.lock:
            row = self.db.execute(f"select id from profiles where {field} = ?", (value,)).fetchone()
        return str(row["id"]) if row else None

    def upsert_profile(
        self, resource: dict[str, Any], *, pointer: str = "/data"
    ) -> tuple[dict[str, Any], bool]:
        """Create or update one profile from a ``ProfileUpsertQueryResourceObject``.

        ``null`` clears a field, an omitted field is left alone, properties merge.
        Returns the profile and whether it was created.
        """
        attributes = dict(resource.get("attributes") or {})
        email = attributes.get("email")
        if isinstance(email, str):
            if not EMAIL_RE.match(email.strip()):
                raise invalid(
                    f"Invalid email address: {email!r}.", pointer=f"{pointer}/attributes/email"
                )
            attributes["email"] = normalize_email(email)
        with self.transaction():
            profile_id = self._resolve_profile(resource.get("id"), attributes, pointer)
            now = now_iso()
            if profile_id is None:
                if not any(attributes.get(key) for key in IDENTIFIERS):
                    raise invalid(
                        "A profile needs one of email, phone_number or external_id.",
                        pointer=f"{pointer}/attributes",
                    )
                profile_id = ulid()
                current: dict[str, Any] = {
                    "attributes": {},
                    "properties": {},
                    "subscriptions": DEFAULT_SUBSCRIPTIONS,
                }
                created = True
            else:
                existing = self.get_profile(profile_id)
                assert existing is not None
                current = existing
                created = False
            fields, properties = _apply(current, attributes, resource.get("meta") or {}, pointer)
            if created:
                self.db.execute(
                    "insert into profiles values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        profile_id,
                        fields.get("email"),
                        fields.get("phone_number"),
                        fields.get("external_id"),
                        json.dumps(_non_identifiers(fields)),
                        json.dumps(properties),
                        json.dumps(current["subscriptions"]),
                        now,
                        now,
                    ),
                )
            else:
                self.db.execute(
                    "update profiles set email = ?, phone_number = ?, external_id = ?,"
                    " attributes = ?, properties = ?, updated = ? where id = ?",
                    (
                        fields.get("email"),
                        fields.get("phone_number"),
                        fields.get("external_id"),
                        json.dumps(_non_identifiers(fields)),
                        json.dumps(properties),
                        now,
                        profile_id,
                    ),
                )
        profile = self.get_profile(profile_id)
        assert profile is not None
        return profile, created

    def _resolve_profile(
        self, profile_id: str | None, attributes: dict[str, Any], pointer: str
    ) -> str | None:
        if profile_id:
            if self.get_profile(profile_id) is None:
                raise not_found(f"Profile {profile_id} does not exist.")
            matches = {profile_id}
        else:
            matches = set()
        for field in IDENTIFIERS:
            value = attributes.get(field)
            if isinstance(value, str) and value:
                found = self.find_profile_id(field, value)
                if found:
                    matches.add(found)
        if len(matches) > 1:
            raise SandboxError(
                409,
                "duplicate_profile",
                "Conflict.",
                "A profile already exists with one of these identifiers.",
                pointer=f"{pointer}/attributes",
                meta={"duplicate_profile_ids": sorted(matches)},
            )
        return next(iter(matches), None)

    def set_subscriptions(self, profile_id: str, subscriptions: dict[str, Any]) -> None:
        with self.lock:
            self.db.execute(
                "update profiles set subscriptions = ? where id = ?",
                (json.dumps(subscriptions), profile_id),
            )

    def suppress_profile(
        self, profile_id: str, reason: str, at: datetime | None = None
    ) -> dict[str, Any]:
        """Suppress a profile for email marketing, as Klaviyo does on an unsubscribe, a hard
        bounce, a spam complaint or a manual suppression: one global suppression
        ``{reason, timestamp}``; an unsubscribe also sets consent to UNSUBSCRIBED."""
        if reason not in SUPPRESSION_REASONS:
            raise ValueError(f"reason must be one of {', '.join(SUPPRESSION_REASONS)}")
        when = suppression_time(at or datetime.now(UTC))
        with self.transaction():
            profile = self.get_profile(profile_id)
            if profile is None:
                raise not_found(f"Profile {profile_id} does not exist.")
            subscriptions = profile["subscriptions"]
            marketing = dict((subscriptions.get("email") or {}).get("marketing") or {})
            marketing.update(
                can_receive_email_marketing=False,
                suppression=[{"reason": reason, "timestamp": when}],
                last_updated=when,
            )
            if reason == "UNSUBSCRIBE":
                marketing.update(consent="UNSUBSCRIBED", consent_timestamp=when)
            subscriptions = {**subscriptions, "email": {"marketing": marketing}}
            self.db.execute(
                "update profiles set subscriptions = ?, updated = ? where id = ?",
                (json.dumps(subscriptions), now_iso(), profile_id),
            )
        suppressed = self.get_profile(profile_id)
        assert suppressed is not None
        return suppressed

    def query_profiles(
        self, conditions: Sequence[tuple[str, str, Any]], offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        """Profiles matching ``(field, operator, value)`` conditions, ordered by creation."""
        suppressed = [c for c in conditions if c[0] == SUPPRESSION_TIMESTAMP]
        conditions = [c for c in conditions if c[0] != SUPPRESSION_TIMESTAMP]
        where, params = _where(
            conditions, {"id", "email", "phone_number", "external_id", "created", "updated"}
        )
        for _, operator, value in suppressed:  # any global suppression in the range
            clause = (
                "exists (select 1 from json_each(profiles.subscriptions,"
                " '$.email.marketing.suppression') s where json_extract(s.value, '$.timestamp')"
                f" {_SQL_OPERATORS[operator]} ?)"
            )
            where = f"{where} and {clause}" if where else f"where {clause}"
            params.append(suppression_time(_parse_time(str(value))))
        sql = f"select * from profiles {where} order by created, id limit ? offset ?"
        with self.lock:
            rows = self.db.execute(sql, (*params, limit + 1, offset)).fetchall()
        return [_profile(row) for row in rows[:limit]], len(rows) > limit

    def all_profiles(self) -> list[dict[str, Any]]:
        with self.lock:
            rows = self.db.execute("select * from profiles order by created, id").fetchall()
        return [_profile(row) for row in rows]

    # ------------------------------------------------------------------- lists

    def create_list(self, name: str, opt_in_process: str | None) -> dict[str, Any]:
        now = now_iso()
        list_id = short_id()
        with self.lock:
            self.db.execute(
                "insert into lists values (?, ?, ?, ?, ?)",
                (list_id, name, opt_in_process or "single_opt_in", now, now),
            )
        found = self.get_list(list_id)
        assert found is not None
        return found

    def get_list(self, list_id: str) -> dict[str, Any] | None:
        with self.lock:
            row = self.db.execute("select * from lists where id = ?", (list_id,)).fetchone()
        return dict(row) if row else None

    def query_lists(
        self, conditions: Sequence[tuple[str, str, Any]], offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        where, params = _where(conditions, {"id", "name", "created", "updated"})
        sql = f"select * from lists {where} order by created, id limit ? offset ?"
        with self.lock:
            rows = self.db.execute(sql, (*params, limit + 1, offset)).fetchall()
        return [dict(row) for row in rows[:limit]], len(rows) > limit

    def find_lists(self, name_or_id: str) -> list[dict[str, Any]]:
        with self.lock:
            rows = self.db.execute(
                "select * from lists where id = ? or name = ? order by created",
                (name_or_id, name_or_id),
            ).fetchall()
        return [dict(row) for row in rows]

    def require_list(self, list_id: str) -> dict[str, Any]:
        found = self.get_list(list_id)
        if found is None:
            raise not_found(f"List {list_id} does not exist.")
        return found

    def add_members(self, list_id: str, profile_ids: Sequence[str]) -> None:
        now = now_iso()
        with self.lock:
            self.db.executemany(
                "insert or ignore into list_members (list_id, profile_id, joined_at)"
                " values (?, ?, ?)",
                [(list_id, profile_id, now) for profile_id in profile_ids],
            )
            self.db.execute("update lists set updated = ? where id = ?", (now, list_id))

    def remove_members(self, list_id: str, profile_ids: Sequence[str]) -> None:
        with self.lock:
            self.db.executemany(
                "delete from list_members where list_id = ? and profile_id = ?",
                [(list_id, profile_id) for profile_id in profile_ids],
            )
            self.db.execute("update lists set updated = ? where id = ?", (now_iso(), list_id))

    def missing_profiles(self, profile_ids: Sequence[str]) -> list[str]:
        with self.lock:
            return [
                profile_id
                for profile_id in profile_ids
                if self.db.execute("select 1 from profiles where id = ?", (profile_id,)).fetchone()
                is None
            ]

    def list_member_ids(
        self,
        list_id: str,
        conditions: Sequence[tuple[str, str, Any]],
        offset: int,
        limit: int,
    ) -> tuple[list[str], bool]:
        where, params = _where(conditions, {"email", "phone_number"}, prefix="p.")
        where = where.replace("where", "and", 1) if where else ""
        sql = (
            "select m.profile_id from list_members m join profiles p on p.id = m.profile_id"
            f" where m.list_id = ? {where} order by m.seq limit ? offset ?"
        )
        with self.lock:
            rows = self.db.execute(sql, (list_id, *params, limit + 1, offset)).fetchall()
        return [str(row[0]) for row in rows[:limit]], len(rows) > limit

    def list_members(self, list_id: str) -> list[dict[str, Any]]:
        with self.lock:
            rows = self.db.execute(
                "select p.* from list_members m join profiles p on p.id = m.profile_id"
                " where m.list_id = ? order by m.seq",
                (list_id,),
            ).fetchall()
        return [_profile(row) for row in rows]

    def member_counts(self) -> dict[str, int]:
        with self.lock:
            rows = self.db.execute(
                "select l.name, l.id, count(m.profile_id) from lists l"
                " left join list_members m on m.list_id = l.id group by l.name, l.id"
            ).fetchall()
        return {f"{row[0]} ({row[1]})": int(row[2]) for row in rows}

    # ------------------------------------------------------------------ events

    def metrics(self) -> list[dict[str, Any]]:
        with self.lock:
            rows = self.db.execute("select * from metrics order by created, name").fetchall()
        return [dict(row) for row in rows]

    def metric_id(self, name: str) -> str:
        with self.lock:
            row = self.db.execute("select id from metrics where name = ?", (name,)).fetchone()
            if row:
                return str(row[0])
            metric_id = short_id()
            self.db.execute("insert into metrics values (?, ?, ?)", (metric_id, name, now_iso()))
            return metric_id

    def record_event(
        self,
        *,
        metric_name: str,
        profile_id: str,
        properties: dict[str, Any],
        time: str | None,
        value: float | None,
        value_currency: str | None,
        unique_id: str | None,
    ) -> bool:
        """Record an event; False when one with the same dedupe key was already recorded.

        With ``unique_id`` the key is (profile, metric, unique_id); without it Klaviyo keeps
        one event per profile and metric per second.
        """
        when = _parse_time(time) if time else datetime.now(UTC)
        dedupe_key = f"u:{unique_id}" if unique_id else f"t:{int(when.timestamp())}"
        with self.lock:
            metric_id = self.metric_id(metric_name)
            cursor = self.db.execute(
                "insert or ignore into events (id, metric_id, profile_id, properties, time,"
                " value, value_currency, unique_id, dedupe_key, created)"
                " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ulid(),
                    metric_id,
                    profile_id,
                    json.dumps(properties),
                    when.astimezone(UTC).isoformat(),
                    value,
                    value_currency,
                    unique_id,
                    dedupe_key,
                    now_iso(),
                ),
            )
            return cursor.rowcount == 1

    def query_events(
        self,
        conditions: Sequence[tuple[str, str, Any]],
        offset: int,
        limit: int,
        sort: str | None = None,
    ) -> tuple[list[dict[str, Any]], bool]:
        """Events matching the conditions, in arrival order or by ``sort`` (``datetime``,
        ``-datetime``, ``timestamp``, ``-timestamp``; ties by arrival)."""
        order = "e.seq"
        if sort:
            descending = sort.startswith("-")
            order = f"e.time {'desc' if descending else 'asc'}, e.seq"
        renamed = [
            ("e.time" if field in ("datetime", "timestamp") else f"e.{field}", op, value)
            for field, op, value in conditions
        ]
        where, params = _where(renamed, {"e.metric_id", "e.profile_id", "e.time"})
        sql = (
            "select e.*, m.name as metric_name from events e join metrics m on m.id = e.metric_id"
            f" {where} order by {order} limit ? offset ?"
        )
        with self.lock:
            rows = self.db.execute(sql, (*params, limit + 1, offset)).fetchall()
        return [_event(row) for row in rows[:limit]], len(rows) > limit

    # ------------------------------------------------------------- import jobs

    def create_import_job(self, profiles: list[dict[str, Any]], list_ids: list[str]) -> str:
        job_id = ulid()
        with self.lock:
            self.db.execute(
                "insert into import_jobs (id, status, total_count, list_ids, payload, created_at)"
                " values (?, 'queued', ?, ?, ?, ?)",
                (job_id, len(profiles), json.dumps(list_ids), json.dumps(profiles), now_iso()),
            )
        return job_id

    def get_import_job(self, job_id: str) -> dict[str, Any] | None:
        with self.lock:
            row = self.db.execute(
                "select id, status, total_count, completed_count, failed_count, list_ids,"
                " created_at, started_at, completed_at, expires_at from import_jobs where id = ?",
                (job_id,),
            ).fetchone()
        if not row:
            return None
        job = dict(row)
        job["list_ids"] = json.loads(job["list_ids"])
        return job

    def import_job_payload(self, job_id: str) -> tuple[list[dict[str, Any]], list[str]]:
        with self.lock:
            row = self.db.execute(
                "select payload, list_ids from import_jobs where id = ?", (job_id,)
            ).fetchone()
        return json.loads(row["payload"] or "[]"), json.loads(row["list_ids"])

    def pending_import_jobs(self) -> list[str]:
        with self.lock:
            rows = self.db.execute(
                "select id from import_jobs where status in ('queued', 'processing')"
                " order by created_at"
            ).fetchall()
        return [str(row[0]) for row in rows]

    def update_import_job(self, job_id: str, **fields: Any) -> None:
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self.lock:
            self.db.execute(
                f"update import_jobs set {assignments} where id = ?", (*fields.values(), job_id)
            )

    def add_import_error(self, job_id: str, error: SandboxError, payload: dict[str, Any]) -> None:
        with self.lock:
            self.db.execute(
                "insert into import_errors (id, job_id, code, title, detail, pointer,"
                " original_payload) values (?, ?, ?, ?, ?, ?, ?)",
                (
                    ulid(),
                    job_id,
                    error.code,
                    error.title,
                    error.detail,
                    error.pointer,
                    json.dumps(payload),
                ),
            )

    def import_errors(
        self, job_id: str, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        with self.lock:
            rows = self.db.execute(
                "select * from import_errors where job_id = ? order by seq limit ? offset ?",
                (job_id, limit + 1, offset),
            ).fetchall()
        errors = []
        for row in rows[:limit]:
            error = dict(row)
            error["original_payload"] = json.loads(error["original_payload"] or "null")
            errors.append(error)
        return errors, len(rows) > limit


def _apply(
    current: dict[str, Any], attributes: dict[str, Any], meta: dict[str, Any], pointer: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Merge requested attributes into the current profile: null clears, omitted keeps."""
    fields = {key: current.get(key) for key in PROFILE_FIELDS if current.get(key) is not None}
    location_now: dict[str, Any] = dict(current.get("location") or {})
    for key in PROFILE_FIELDS:
        if key in attributes:
            if attributes[key] is None:
                fields.pop(key, None)
            else:
                fields[key] = attributes[key]
    if "location" in attributes:
        location = attributes["location"]
        if location is None:
            location_now = {}
        else:
            for key, value in location.items():
                if value is None:
                    location_now.pop(key, None)
                else:
                    location_now[key] = value
    fields["location"] = location_now
    properties = dict(current.get("properties") or {})
    if "properties" in attributes:
        if attributes["properties"] is None:
            properties = {}
        else:
            properties.update(attributes["properties"])
    patch = meta.get("patch_properties") or {}
    if patch.get("append") or patch.get("unappend"):
        raise invalid(
            "The sandbox does not implement patch_properties append/unappend.",
            pointer=f"{pointer}/meta/patch_properties",
        )
    unset = patch.get("unset")
    for key in [unset] if isinstance(unset, str) else unset or []:
        properties.pop(key, None)
    return fields, properties


def _non_identifiers(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if key not in IDENTIFIERS}


def _profile(row: sqlite3.Row) -> dict[str, Any]:
    attributes = json.loads(row["attributes"])
    profile: dict[str, Any] = {
        "id": row["id"],
        "email": row["email"],
        "phone_number": row["phone_number"],
        "external_id": row["external_id"],
    }
    for key in PROFILE_FIELDS:
        profile.setdefault(key, attributes.get(key))
    profile["location"] = attributes.get("location") or {}
    profile["properties"] = json.loads(row["properties"])
    profile["subscriptions"] = json.loads(row["subscriptions"])
    profile["created"] = row["created"]
    profile["updated"] = row["updated"]
    return profile


def _event(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "metric_id": row["metric_id"],
        "metric_name": row["metric_name"],
        "profile_id": row["profile_id"],
        "properties": json.loads(row["properties"]),
        "time": row["time"],
        "value": row["value"],
        "value_currency": row["value_currency"],
        "unique_id": row["unique_id"],
    }


_SQL_OPERATORS = {
    "greater-than": ">",
    "greater-or-equal": ">=",
    "less-than": "<",
    "less-or-equal": "<=",
}


def _where(
    conditions: Sequence[tuple[str, str, Any]], columns: set[str], prefix: str = ""
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for field, operator, value in conditions:
        column = f"{prefix}{field}"
        if column not in columns and field not in columns:
            raise invalid(f"Filtering on '{field}' is not supported.", parameter="filter")
        if field.endswith("email"):
            value = [normalize_email(v) for v in value] if isinstance(value, list) else value
            value = normalize_email(value) if isinstance(value, str) else value
        if operator in ("equals", "any"):
            values = value if isinstance(value, list) else [value]
            if not values:
                clauses.append("0")
                continue
            clauses.append(f"{column} in ({', '.join('?' for _ in values)})")
            params.extend(values)
        elif operator in _SQL_OPERATORS:
            clauses.append(f"{column} {_SQL_OPERATORS[operator]} ?")
            if isinstance(value, str):
                value = _parse_time(value).astimezone(UTC).isoformat()
            params.append(value)
        else:
            raise invalid(f"Operator '{operator}' is not supported.", parameter="filter")
    return ("where " + " and ".join(clauses), params) if clauses else ("", params)
