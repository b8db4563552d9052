"""RFM recomputed from the raw tables in plain Python, straight from the contracts
(docs/contracts/raw_events.md, docs/contracts/behaviors.md, CONTRIBUTING.md's checks), to
hold `contact_rfm` against. It shares no code with the dbt models."""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
SEGMENT_MAP = SEEDS / "rfm_segment_map.csv"
CLOCK_SKEW = timedelta(hours=24)
EARLIEST = datetime(2000, 1, 1)  # var earliest_event_at
PLACEHOLDERS = {"", "null", "undefined", "none", "nil", "nan", "n/a", "0", "-1", "[object object]"}
LOOKBACK = timedelta(days=730)
INVALID_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
INVALID_ESCAPE = re.compile(r"\\u(000[0-8bBcCeEfF]|001[0-9a-fA-F]|007[fF]|[fF][fF][fF][dD])")
PLAIN_NUMBER = re.compile(r"^-?[0-9]+([.][0-9]+)?$")
NUMBER = re.compile(r"^-?[0-9]+([.][0-9]+)?([eE][-+]?[0-9]{1,2})?$")
NUMERIC = {  # properties that must be numbers when present (invalid_number)
    "Product Viewed": ["price"],
    "Product Added": ["price", "quantity"],
    "Product Removed": ["quantity"],
    "Checkout Started": ["value"],
    "Order Completed": ["total", "revenue", "discount"],
    "Order Refunded": ["total"],
    "Product Added to Wishlist": ["price"],
}
MAX_ORDER_LINES = 50
REQUIRED = {
    "Product Viewed": ["product_id"],
    "Product Added": ["product_id"],
    "Product Removed": ["product_id"],
    "Order Completed": ["order_id", "total"],
    "Order Refunded": ["order_id"],
    "Product Added to Wishlist": ["product_id"],
    "Product Reviewed": ["product_id"],
    "Content Downloaded": ["content_id"],
    "Ticket Created": ["ticket_id"],
}


@dataclass(frozen=True)
class Rfm:
    recency_days: int
    frequency: int
    monetary: Decimal
    r_score: int
    f_score: int
    m_score: int
    rfm_segment: str


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _placeholders() -> set[str]:
    with (SEEDS / "placeholder_identities.csv").open() as handle:
        extra = {row["identity"].strip(" \t\n\r").lower() for row in csv.DictReader(handle)}
    return PLACEHOLDERS | extra


def _identity(value: Any, placeholders: set[str]) -> str | None:
    """A trimmed id, or None when missing or a placeholder ("undefined", "0", a tab, …)."""
    text = _clean(value)
    return None if text is None or text.strip(" \t\n\r").lower() in placeholders else text


def _invalid_text(*values: Any) -> bool:
    return any(
        isinstance(v, str) and (INVALID_CHAR.search(v) or INVALID_ESCAPE.search(v)) for v in values
    )


def _parse_json(text: str | None) -> tuple[bool, Any]:
    if text is None:
        return True, None

    def reject(constant: str) -> None:
        raise ValueError(constant)

    try:
        return True, json.loads(text, parse_constant=reject)
    except ValueError:
        return False, None


def _prop_text(props: Any, key: str) -> str | None:
    if not isinstance(props, dict) or props.get(key) is None:
        return None
    value = props[key]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return _clean(value)


def _prop_number(props: Any, key: str) -> Decimal | None:
    text = _prop_text(props, key)
    if text is None or not PLAIN_NUMBER.match(text):
        return None
    return Decimal(text).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _not_a_number(text: str | None) -> bool:
    """A value that is there but is no number fitting decimal(18, 2) (below 1e15)."""
    if text is None:
        return False
    if not NUMBER.match(text):
        return True
    return abs(Decimal(text)) >= Decimal("1e15")


def _invalid_number(name: str | None, props: Any) -> bool:
    if any(_not_a_number(_prop_text(props, p)) for p in NUMERIC.get(name or "", [])):
        return True
    lines = props.get("products") if name == "Order Completed" and isinstance(props, dict) else None
    return isinstance(lines, list) and any(
        _not_a_number(_prop_text(line, p))
        for line in lines[:MAX_ORDER_LINES]
        for p in ("price", "quantity")
    )


def _kept(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per message_id: a copy that passes every check, the earliest to land."""
    by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["message_id"] is not None:
            by_id[row["message_id"]].append(row)
    kept = []
    for copies in by_id.values():
        copies.sort(key=lambda r: (not r["ok"], r["received_at"], r["at"]))
        if copies[0]["ok"]:
            kept.append(copies[0])
    return kept


def _events(con: duckdb.DuckDBPyConnection, as_of: datetime) -> list[dict[str, Any]]:
    raw = con.execute(
        'select message_id, event, user_id, anonymous_id, "timestamp", received_at, properties,'
        " context from raw.events where received_at <= ? or received_at is null",
        [as_of],
    ).fetchall()
    rows = []
    placeholders = _placeholders()
    for message_id, event, sent_user, sent_anon, at, received_at, properties, context in raw:
        props_ok, props = _parse_json(properties)
        context_ok, _ = _parse_json(context)
        name = _clean(event)
        user_id = _identity(sent_user, placeholders)
        anonymous_id = _identity(sent_anon, placeholders)
        ok = not (
            _clean(message_id) is None
            or _invalid_text(message_id, event, sent_user, sent_anon, properties, context)
            or name is None
            or (user_id is None and anonymous_id is None)
            or at is None
            or received_at is None
            or at > received_at + CLOCK_SKEW
            or at < EARLIEST
            or not (props_ok and context_ok)
            or _invalid_number(name, props)
            or any(
                (_prop_number(props, p) if p == "total" else _prop_text(props, p)) is None
                for p in REQUIRED.get(name, [])
            )
            or (name == "Order Completed" and (_prop_number(props, "total") or 0) < 0)
        )
        rows.append(
            {
                "message_id": _clean(message_id),
                "event": name,
                "user_id": user_id,
                "anonymous_id": anonymous_id,
                "at": at,
                "received_at": received_at,
                "props": props,
                "ok": ok,
            }
        )
    return _kept(rows)


def _identifies(con: duckdb.DuckDBPyConnection, as_of: datetime) -> list[dict[str, Any]]:
    raw = con.execute(
        'select message_id, user_id, anonymous_id, "timestamp", received_at, traits'
        " from raw.identifies where received_at <= ? or received_at is null",
        [as_of],
    ).fetchall()
    rows = []
    placeholders = _placeholders()
    for message_id, sent_user, sent_anon, at, received_at, traits in raw:
        user_id = _identity(sent_user, placeholders)
        ok = not (
            _clean(message_id) is None
            or _invalid_text(message_id, sent_user, sent_anon, traits)
            or user_id is None
            or at is None
            or received_at is None
            or at > received_at + CLOCK_SKEW
            or at < EARLIEST
            or not _parse_json(traits)[0]
        )
        rows.append(
            {
                "message_id": _clean(message_id),
                "user_id": user_id,
                "anonymous_id": _identity(sent_anon, placeholders),
                "at": at,
                "received_at": received_at,
                "ok": ok,
            }
        )
    return _kept(rows)


def _stitching(events: list[dict[str, Any]], identifies: list[dict[str, Any]]) -> dict[str, str]:
    """anonymous_id → user_id of its latest link (identify, or an event with both ids)."""
    links: dict[str, tuple[Any, ...]] = {}
    for row in [*identifies, *events]:
        if row["anonymous_id"] and row["user_id"]:
            candidate = (row["at"], row["received_at"], row["message_id"], row["user_id"])
            best = links.get(row["anonymous_id"])
            if best is None or candidate[:3] > best[:3]:
                links[row["anonymous_id"]] = candidate
    return {anonymous_id: link[3] for anonymous_id, link in links.items()}


def _net_orders(events: list[dict[str, Any]], stitched: dict[str, str]) -> list[dict[str, Any]]:
    completed = sorted(
        (e for e in events if e["event"] == "Order Completed"),
        key=lambda e: (e["at"], e["received_at"], e["message_id"]),
    )
    orders: dict[str, dict[str, Any]] = {}
    for event in completed:
        order_id = _prop_text(event["props"], "order_id")
        if order_id is not None and order_id not in orders:
            orders[order_id] = {
                "contact_id": event["user_id"] or stitched.get(event["anonymous_id"]),
                "at": event["at"],
                "total": _prop_number(event["props"], "total"),
                "refunds": None,
            }
    for event in events:
        order = orders.get(_prop_text(event["props"], "order_id") or "")
        if event["event"] != "Order Refunded" or order is None:
            continue
        amount = _prop_number(event["props"], "total")
        amount = order["total"] if amount is None else max(amount, Decimal(0))
        order["refunds"] = (order["refunds"] or Decimal(0)) + amount
    for order in orders.values():
        order["net"] = order["total"] - min(order["refunds"] or Decimal(0), order["total"])
    return list(orders.values())


def _scores(values: dict[str, Any], better_when_larger: bool) -> dict[str, int]:
    """rank() worst → best, then floor(5 * (rank - 1) / n) + 1: equal values, equal scores."""
    ordered = sorted(values.values(), reverse=not better_when_larger)
    first_position: dict[Any, int] = {}
    for position, value in enumerate(ordered, start=1):
        first_position.setdefault(value, position)
    n = len(ordered)
    return {key: (5 * (first_position[v] - 1)) // n + 1 for key, v in values.items()}


def expected_rfm(warehouse: Path, as_of: datetime) -> dict[str, Rfm]:
    """contact_id → RFM as the contract defines it, from the raw tables alone."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        events = _events(con, as_of)
        identifies = _identifies(con, as_of)
    orders = _net_orders(events, _stitching(events, identifies))
    by_contact: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for order in orders:
        if order["contact_id"] and as_of - LOOKBACK < order["at"] <= as_of:
            by_contact[order["contact_id"]].append(order)
    recency = {
        c: (as_of.date() - max(o["at"] for o in os).date()).days for c, os in by_contact.items()
    }
    frequency = {c: len(os) for c, os in by_contact.items()}
    monetary = {c: sum((o["net"] for o in os), Decimal(0)) for c, os in by_contact.items()}
    r, f, m = _scores(recency, False), _scores(frequency, True), _scores(monetary, True)
    with SEGMENT_MAP.open() as handle:
        segments = {
            (int(row["r_score"]), int(row["f_score"])): row["rfm_segment"]
            for row in csv.DictReader(handle)
        }
    return {
        c: Rfm(recency[c], frequency[c], monetary[c], r[c], f[c], m[c], segments[(r[c], f[c])])
        for c in by_contact
    }
