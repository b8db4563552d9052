"""Write assembled frames into the raw tables of a DuckDB warehouse.

Numpy code columns become Arrow columns: NULL codes become nulls, codes that stand for
text become Arrow dictionary arrays over lists of ready-made JSON fragments
('"query":"espresso"'), and ids are rendered straight into Arrow string buffers (`ids`). DuckDB
then builds each row's JSON text in SQL with `concat_ws` (which skips nulls, so absent
properties are absent keys), applies the text defects of broken rows (missing ids, bad
characters, truncated JSON) and appends the block, keeping its row order. No Python code
runs per row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from nudge.generator.assemble import REFERRER_URLS
from nudge.generator.catalog import Catalog
from nudge.generator.common import (
    APP_VERSIONS,
    BOUNCE_TYPES,
    CAMPAIGNS,
    CATEGORIES,
    CHANNELS,
    CONTENT,
    COUPONS,
    EMAIL_TOPICS,
    EV,
    EVENTS,
    FREQUENCIES,
    I64,
    LIBRARIES,
    N_STATIC,
    NULL,
    QUERIES,
    REPLENISHMENT_DAYS,
    SIGNUP_METHODS,
    SOURCES,
    STATIC_PAGES,
    TIMEZONES,
    TOPICS,
    TRIGGER_KEYS,
    UNSUB_REASONS,
    USER_AGENTS,
    VIDEOS,
    B,
)
from nudge.generator.contacts import EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES
from nudge.generator.identifies import (
    EMAIL_CHANGED,
    EMAIL_DOUBLE_AT,
    EMAIL_NO_AT,
    EMAIL_VALID,
    TRAITS_FULL,
    TRAITS_LINK,
    TRAITS_NONE,
)
from nudge.generator.ids import anonymous_keys, user_id_strings, user_id_width, uuid_strings
from nudge.raw_contract import create_table_sql

SITE = "https://shop.example.com"
CDN = "https://cdn.shop.example.com"

# the raw contract, plus one column a Segment-style collector adds that the models do not
# know (drift)
EVENTS_DDL = create_table_sql("events", extra_columns=[("context_library_name", "varchar")])
IDENTIFIES_DDL = create_table_sql("identifies")
CATALOG_DDL = create_table_sql("product_catalog")
DRIFT_COLUMNS = {"events": ["context_library_name"]}

# events whose properties carry product details / only the product id / a price
PRODUCT_DETAIL_EVENTS = [EV["Product Viewed"], EV["Product Added"], EV["Product Added to Wishlist"]]
PRODUCT_ID_EVENTS = [EV["Product Removed"], EV["Product Reviewed"]]
CART_EVENTS = [
    EV["Product Added"],
    EV["Product Removed"],
    EV["Checkout Started"],
    EV["Coupon Applied"],
]


def _q(text: str) -> str:
    return json.dumps(text)


def _kv(key: str, value: str) -> str:
    return f"{_q(key)}:{_q(value)}"


def event_constants() -> list[str | None]:
    """Properties every event of a name carries, as a JSON fragment."""
    out: list[str | None] = [None] * len(EVENTS)
    for name in ("Checkout Started", "Order Completed"):
        out[EV[name]] = _kv("currency", "USD")
    for name in ("Subscribed", "Unsubscribed"):
        out[EV[name]] = _kv("channel", "email")
    return out


def product_ids(n: int) -> list[str]:
    return [f"p{i + 1:05d}" for i in range(n)]


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")


@dataclass(frozen=True)
class Dictionaries:
    """Every text a code can stand for, as Arrow string arrays (built once per run)."""

    values: dict[str, pa.Array]

    @classmethod
    def build(cls, catalog: Catalog) -> Dictionaries:
        pids = product_ids(catalog.n_products)
        pcat = [CATEGORIES[c] for c in catalog.category]
        ppath = [f"/p/{pid}-{_slug(name)}" for pid, name in zip(pids, catalog.name, strict=True)]
        pages: list[tuple[str, str, str, str | None]] = [
            (path, title, kind, None) for path, title, kind in STATIC_PAGES
        ]
        pages += [(f"/c/{c}", f"{c.title()} | Shop Example", "category", c) for c in CATEGORIES]
        pages += [
            (path, name, "product", cat)
            for path, name, cat in zip(ppath, catalog.name, pcat, strict=True)
        ]
        assert len(pages) == N_STATIC + len(CATEGORIES) + catalog.n_products

        def page_props(path: str, title: str, kind: str, cat: str | None) -> str:
            parts = [_kv("path", path), _kv("url", SITE + path), _kv("title", title)]
            parts.append(_kv("page_type", kind))
            if cat:
                parts.append(_kv("category", cat))
            return ",".join(parts)

        lists: dict[str, Sequence[str | None]] = {
            "event": EVENTS,
            "event_const": event_constants(),
            "page_props": [page_props(*p) for p in pages],
            "page_ctx": [
                ",".join([_kv("path", p), _kv("url", SITE + p), _kv("title", t)])
                for p, t, _, _ in pages
            ],
            "referrer": [_q(r) for r in REFERRER_URLS],
            "campaign": [
                '"campaign":'
                + json.dumps({"source": s, "medium": m, "name": n}, separators=(",", ":"))
                for s, m, n, _ in CAMPAIGNS
            ],
            "channel": [_kv("channel", c) for c in CHANNELS],
            "tz": [_kv("timezone", tz[0]) for tz in TIMEZONES],
            "country": [_kv("country", tz[2]) for tz in TIMEZONES],
            "city": [_kv("city", tz[3]) for tz in TIMEZONES],
            "ua": [_kv("user_agent", ua) for ua in USER_AGENTS],
            "library": LIBRARIES,
            "query": [_kv("query", q) for q in QUERIES],
            "list": [f"{_kv('list_id', 'cat-' + c)},{_kv('category', c)}" for c in CATEGORIES],
            "product_full": [
                ",".join([_kv("product_id", pid), _kv("name", name), _kv("category", cat)])
                for pid, name, cat in zip(pids, catalog.name, pcat, strict=True)
            ],
            "product_id": [_kv("product_id", pid) for pid in pids],
            "coupon": [_kv("coupon", c) for c in COUPONS],
            "content": [
                f"{_kv('content_id', f'c{i + 1:02d}')},{_kv('title', title)}"
                for i, (title, _) in enumerate(CONTENT)
            ],
            "topic": [_kv("topic", t) for t in TOPICS],
            "version": [_kv("version", v) for v in APP_VERSIONS],
            "video": [f"{_kv('video_id', v)},{_kv('title', t)}" for v, t in VIDEOS],
            "method": [_kv("method", m) for m in SIGNUP_METHODS],
            "source": [_kv("source", s) for s in SOURCES],
            "reason": [_kv("reason", r) for r in UNSUB_REASONS],
            "trigger": [_kv("trigger_key", t) for t in TRIGGER_KEYS],
            "bounce": [_kv("bounce_type", b) for b in BOUNCE_TYPES],
            "email_topic": [_kv("topic", t) for t in EMAIL_TOPICS],
            "subscribed": ['"subscribed":false', '"subscribed":true'],
            "frequency": [_kv("frequency", f) for f in FREQUENCIES],
            "link": [
                _kv("link_url", f"{SITE}/c/{c}?utm_source=newsletter&utm_medium=email")
                for c in CATEGORIES
            ],
            "first_name": FIRST_NAMES,
            "last_name": LAST_NAMES,
            "first_name_json": [_kv("first_name", n) for n in FIRST_NAMES],
            "last_name_json": [_kv("last_name", n) for n in LAST_NAMES],
            "domain": EMAIL_DOMAINS,
            # catalog columns
            "pid": pids,
            "pname": list(catalog.name),
            "pcategory": pcat,
            "purl": [SITE + p for p in ppath],
            "pimage": [f"{CDN}/img/{pid}.jpg" for pid in pids],
        }
        return cls({k: pa.array(list(v), pa.string()) for k, v in lists.items()})

    def column(self, name: str, codes: I64) -> pa.Array:
        """The text each code stands for (null for NULL codes), as an Arrow dictionary
        array over the ready-made texts: DuckDB reads it as a dictionary vector, so no text
        is copied per row before the JSON is built (copying them first with Arrow `take`
        cost ~0.2 s of CPU per block, and DuckDB was no faster on the copies)."""
        mask = codes == NULL
        indices = pa.array(np.where(mask, 0, codes).astype(np.int32), pa.int32(), mask=mask)
        return pa.DictionaryArray.from_arrays(indices, self.values[name])


def _int(values: I64, type_: pa.DataType | None = None) -> pa.Array:
    mask = values == NULL
    return pa.array(np.where(mask, 0, values), type_ or pa.int64(), mask=mask)


def _timestamp(seconds: I64) -> pa.Array:
    mask = seconds == NULL
    return pa.array(np.where(mask, 0, seconds), pa.timestamp("s"), mask=mask)


def _defect(defect: I64, reasons: Sequence[str]) -> pa.Array:
    """The quarantine reason a broken row was made for (null for clean rows)."""
    mask = defect == 0
    indices = pa.array(np.where(mask, 0, defect - 1).astype(np.int32), pa.int32(), mask=mask)
    return pa.array(list(reasons), pa.string()).take(indices)


# --- SQL pieces -------------------------------------------------------------------------


def _money(column: str) -> str:
    """Cents as a JSON number with two decimals."""
    return f"cast({column} as decimal(18, 0)) * 0.01"


def _spoil(column: str) -> str:
    """Text with one bad character (a control character or U+FFFD) after its 2nd char."""
    return f"left({column}, 2) || chr(bad_char) || substr({column}, 3)"


def _blank(key: str) -> str:
    """A missing text value, spelled three ways: null, empty, blank."""
    return f"case {key} & 3 when 0 then '' when 1 then '   ' else null end"


def _truncated(column: str) -> str:
    return f"left({column}, length({column}) - 1)"


def _text_with_defects(column: str, bad_col: int, missing: str | None = None) -> str:
    """`column`, blanked for the `missing` reason, spoiled when bad_col picks it."""
    cases = []
    if missing:
        cases.append(f"when defect = '{missing}' then {_blank('key')}")
    cases.append(f"when defect = 'invalid_text' and bad_col = {bad_col} then {_spoil(column)}")
    return f"case {' '.join(cases)} else {column} end"


class RawWriter:
    """Creates the raw tables and appends frames to them."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, catalog: Catalog, seed: int, contacts: int
    ) -> None:
        self.con = con
        self.catalog = catalog
        self.seed = seed
        self.user_width = user_id_width(contacts)
        self.d = Dictionaries.build(catalog)

    def create_tables(self) -> None:
        self.con.execute("create schema if not exists raw")
        for table, ddl in (
            ("events", EVENTS_DDL),
            ("identifies", IDENTIFIES_DDL),
            ("product_catalog", CATALOG_DDL),
        ):
            self.con.execute(f"drop table if exists raw.{table}")
            self.con.execute(ddl)

    def _insert(self, name: str, table: pa.Table, sql: str) -> None:
        self.con.register(name, table)
        try:
            self.con.execute(sql)
        finally:
            self.con.unregister(name)

    def _ids(self, f: Mapping[str, I64]) -> dict[str, pa.Array]:
        return {
            "key": _int(f["mkey"]),
            "message_id": uuid_strings(f["mkey"]),
            "user_id": user_id_strings(f["user"], self.user_width),
            "anonymous_id": uuid_strings(anonymous_keys(f["anon"], self.seed)),
        }

    def _defects(self, f: Mapping[str, I64], reasons: Sequence[str]) -> dict[str, pa.Array]:
        return {
            "defect": _defect(f["defect"], reasons),
            "bad_col": _int(f["bad_col"], pa.int32()),
            "bad_char": _int(f["bad_char"], pa.int32()),
        }

    # --- events -------------------------------------------------------------------------

    def order_products(self, lines: dict[str, I64]) -> tuple[I64, pa.Array]:
        """Per order (sorted order numbers): its `products` JSON array."""
        table = pa.table(
            {
                "order_no": _int(lines["order"]),
                "line_no": pa.array(np.arange(lines["order"].shape[0], dtype=np.int64)),
                "product": self.d.column("product_full", lines["product"]),
                "price": _int(lines["price"]),
                "qty": _int(lines["qty"]),
            }
        )
        self.con.register("gen_lines", table)
        try:
            cursor = self.con.execute(ORDER_PRODUCTS_SQL)
            # duckdb >= 1.5 names it to_arrow_table (fetch_arrow_table is deprecated there)
            result = getattr(cursor, "to_arrow_table", cursor.fetch_arrow_table)()
        finally:
            self.con.unregister("gen_lines")
        return result["order_no"].to_numpy(), result["products"].combine_chunks()

    def append_events(
        self, f: Mapping[str, I64], lines: dict[str, I64], reasons: Sequence[str]
    ) -> None:
        d = self.d
        event = f["event"]
        detail = np.isin(event, PRODUCT_DETAIL_EVENTS)
        order_nos, products = self.order_products(lines)
        is_order = (event == EV["Order Completed"]) & (f["order"] != NULL)
        at = np.minimum(np.searchsorted(order_nos, f["order"]), max(order_nos.shape[0] - 1, 0))
        is_order &= order_nos.shape[0] > 0
        is_order[is_order] &= order_nos[at[is_order]] == f["order"][is_order]
        table = pa.table(
            {
                **self._ids(f),
                **self._defects(f, reasons),
                "event": d.column("event", event),
                "ts": _timestamp(f["ts"]),
                "recv": _timestamp(f["recv"]),
                # properties
                "event_const": d.column("event_const", event),
                "page_props": d.column(
                    "page_props", np.where(event == EV["Page Viewed"], f["page_key"], NULL)
                ),
                "query": d.column("query", f["query"]),
                "list_f": d.column("list", f["list_cat"]),
                "product_full": d.column("product_full", np.where(detail, f["product"], NULL)),
                "product_id": d.column(
                    "product_id", np.where(np.isin(event, PRODUCT_ID_EVENTS), f["product"], NULL)
                ),
                "price": _int(np.where(detail, f["price"], NULL)),
                "qty": _int(f["qty"]),
                "cart": _int(np.where(np.isin(event, CART_EVENTS), f["cart"], NULL)),
                "value": _int(f["value"]),
                "order_no": _int(f["order"]),
                "total": _int(f["total"]),
                "revenue": _int(f["revenue"]),
                "discount": _int(f["discount"]),
                "coupon": d.column("coupon", f["coupon"]),
                "products": products.take(
                    pa.array(np.where(is_order, at, 0), pa.int64(), mask=~is_order)
                ),
                "review": _int(f["review"]),
                "rating": _int(f["rating"]),
                "content": d.column("content", f["content"]),
                "topic": d.column("topic", f["topic"]),
                "ticket": _int(f["ticket"]),
                "version": d.column("version", f["version"]),
                "video": d.column("video", f["video"]),
                "method": d.column("method", f["method"]),
                "source": d.column("source", f["source"]),
                "reason": d.column("reason", f["reason"]),
                "email_id": _int(f["email_id"]),
                "trigger_f": d.column("trigger", f["trigger"]),
                "step": _int(f["step"]),
                "link": d.column("link", f["link"]),
                "bounce": d.column("bounce", f["bounce"]),
                "email_topic": d.column("email_topic", f["email_topic"]),
                "subscribed": d.column("subscribed", f["subscribed"]),
                "frequency": d.column("frequency", f["frequency"]),
                # context
                "channel": d.column("channel", f["channel"]),
                "page_ctx": d.column("page_ctx", f["page_key"]),
                "referrer": d.column("referrer", f["referrer"]),
                "campaign": d.column("campaign", f["campaign"]),
                "tz": d.column("tz", f["tz"]),
                "ua": d.column("ua", f["ua"]),
                "library": d.column("library", f["library"]),
            }
        )
        self._insert("gen_events", table, EVENTS_SQL)

    # --- identifies ---------------------------------------------------------------------

    def append_identifies(self, f: Mapping[str, I64], reasons: Sequence[str]) -> None:
        d = self.d
        kind = f["traits_kind"]
        full = kind == TRAITS_FULL
        with_tz = full | (kind == TRAITS_LINK)
        # one valid address in ten is written with capitals (downstream lower-cases it); a
        # guest checkout's (another contact's address) is upper-cased and padded instead
        retyped = f["retyped"] == 1
        capitals = (f["user"] % 10 == 3) & (f["email_kind"] == EMAIL_VALID) & ~retyped

        def only(mask: B, values: I64) -> I64:
            return np.where(mask, values, NULL)

        table = pa.table(
            {
                **self._ids(f),
                **self._defects(f, reasons),
                "user_no": _int(f["email_user"] + 1),
                "ts": _timestamp(f["ts"]),
                "recv": _timestamp(f["recv"]),
                "has_traits": pa.array(kind != TRAITS_NONE),
                "email_kind": _int(f["email_kind"], pa.int32()),
                "capitals": pa.array(capitals),
                "retyped": pa.array(retyped),
                "first_name": d.column("first_name", f["first_name"]),
                "last_name": d.column("last_name", f["last_name"]),
                "domain": d.column("domain", f["domain"]),
                "alt_domain": d.column("domain", (f["domain"] + 1) % len(EMAIL_DOMAINS)),
                "first_name_json": d.column("first_name_json", only(full, f["first_name"])),
                "last_name_json": d.column("last_name_json", only(full, f["last_name"])),
                "phone": _int(only(full, f["phone"])),
                "birthday": _int(only(full, f["birthday"]), pa.int32()),
                "tz": d.column("tz", only(with_tz, f["tz"])),
                "country": d.column("country", only(full, f["tz"])),
                "city": d.column("city", only(full, f["tz"])),
                "created_at": _timestamp(only(full, f["created_at"])),
            }
        )
        self._insert("gen_identifies", table, IDENTIFIES_SQL)

    # --- catalog ------------------------------------------------------------------------

    def write_catalog(self, f: Mapping[str, I64], reasons: Sequence[str]) -> None:
        d = self.d
        product = f["product"]
        category = self.catalog.category[product]
        table = pa.table(
            {
                "key": pa.array(np.arange(product.shape[0], dtype=np.int64)),
                **self._defects(f, reasons),
                "pid": d.column("pid", product),
                "pname": d.column("pname", product),
                "pcategory": d.column("pcategory", product),
                "purl": d.column("purl", product),
                "pimage": d.column("pimage", product),
                "price": _int(f["price"]),
                "stock": _int(f["stock"], pa.int32()),
                "replenishment_days": _int(REPLENISHMENT_DAYS[category], pa.int32()),
                "ts": _timestamp(f["ts"]),
            }
        )
        self._insert("gen_catalog", table, CATALOG_SQL)


ORDER_PRODUCTS_SQL = f"""
select
    order_no,
    '[' || string_agg(
        '{{' || product || ',"price":' || {_money("price")} || ',"quantity":' || qty || '}}',
        ',' order by line_no
    ) || ']' as products
from gen_lines
group by order_no
order by order_no
"""

EVENTS_SQL = f"""
insert into raw.events
with

rows as (
    select
        key,
        defect,
        bad_col,
        bad_char,
        message_id,
        event,
        user_id,
        anonymous_id,
        ts,
        recv,
        '{{' || concat_ws(',',
            page_props,
            query,
            list_f,
            product_full,
            product_id,
            '"price":' || {_money("price")},
            '"quantity":' || qty,
            '"cart_id":"cart-' || cart || '"',
            '"value":' || {_money("value")},
            '"order_id":"ord-' || order_no || '"',
            '"total":' || {_money("total")},
            '"revenue":' || {_money("revenue")},
            '"discount":' || {_money("discount")},
            coupon,
            event_const,
            '"products":' || products,
            '"review_id":"rev-' || review || '"',
            '"rating":' || rating,
            content,
            topic,
            '"ticket_id":"tkt-' || ticket || '"',
            version,
            video,
            method,
            source,
            reason,
            '"email_id":"esp-' || email_id || '"',
            trigger_f,
            '"step":' || step,
            link,
            bounce,
            email_topic,
            subscribed,
            frequency
        ) || '}}' as properties,
        '{{' || concat_ws(',',
            channel,
            '"page":{{' || page_ctx || coalesce(',"referrer":' || referrer, '') || '}}',
            tz,
            campaign,
            ua
        ) || '}}' as context,
        library
    from gen_events
)

select
    {_text_with_defects("message_id", 0, "missing_message_id")},
    case
        when defect = 'missing_event_name' then {_blank("key")}
        when defect = 'invalid_text' and bad_col = 1 then {_spoil("event")}
        else event
    end,
    {_text_with_defects("user_id", 2)},
    {_text_with_defects("anonymous_id", 3)},
    ts,
    recv,
    case when defect = 'invalid_json' and key & 1 = 0 then {_truncated("properties")}
        else properties end,
    case when defect = 'invalid_json' and key & 1 = 1 then {_truncated("context")}
        else context end,
    library
from rows
"""

_EMAIL = {
    EMAIL_VALID: "lower(first_name) || '.' || lower(last_name) || user_no || '@' || domain",
    EMAIL_CHANGED: "lower(first_name) || lower(last_name) || '.' || user_no || '@' || alt_domain",
    EMAIL_DOUBLE_AT: "lower(first_name) || '.' || lower(last_name) || user_no || '@@' || domain",
    EMAIL_NO_AT: "lower(first_name) || '.' || lower(last_name) || user_no || domain",
}
_EMAIL_CASES = " ".join(f"when {k} then {v}" for k, v in _EMAIL.items())
_CAPITALIZED_EMAIL = (
    "first_name || '.' || last_name || user_no || '@' || upper(domain[1]) || domain[2:]"
)

IDENTIFIES_SQL = f"""
insert into raw.identifies
with

rows as (
    select
        key,
        defect,
        bad_col,
        bad_char,
        message_id,
        user_id,
        anonymous_id,
        ts,
        recv,
        case when has_traits then '{{' || concat_ws(',',
            '"email":"' || case
                when capitals then {_CAPITALIZED_EMAIL}
                when retyped then ' ' || upper({_EMAIL[EMAIL_VALID]}) || ' '
                else case email_kind {_EMAIL_CASES} end
            end || '"',
            first_name_json,
            last_name_json,
            '"phone":"+1-555-' || left(phone::varchar, 3) || '-' || right(phone::varchar, 4) || '"',
            '"birthday":"' || strftime(date '1970-01-01' + birthday, '%Y-%m-%d') || '"',
            tz,
            country,
            city,
            '"created_at":"' || strftime(created_at, '%Y-%m-%dT%H:%M:%S') || '"'
        ) || '}}' end as traits
    from gen_identifies
)

select
    {_text_with_defects("message_id", 0, "missing_message_id")},
    {_text_with_defects("user_id", 1)},
    {_text_with_defects("anonymous_id", 2)},
    ts,
    recv,
    case when defect = 'invalid_json' then {_truncated("traits")} else traits end
from rows
"""

CATALOG_SQL = f"""
insert into raw.product_catalog
select
    case
        when defect = 'missing_product_id' then {_blank("key")}
        when defect = 'invalid_text' and bad_col = 0 then {_spoil("pid")}
        else pid
    end,
    case when defect = 'invalid_text' and bad_col = 1 then {_spoil("pname")} else pname end,
    case when defect = 'invalid_text' and bad_col = 2 then {_spoil("pcategory")} else pcategory end,
    {_money("price")},
    'USD',
    stock,
    pimage,
    purl,
    replenishment_days,
    ts
from gen_catalog
"""

__all__ = ["DRIFT_COLUMNS", "RawWriter", "product_ids"]
