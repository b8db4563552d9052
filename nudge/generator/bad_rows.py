"""Broken rows (each with exactly one defect) and exact re-deliveries (duplicates).

A broken row is a copy of a valid row with a fresh message id and one defect, so that the
downstream quarantine, checking in CONTRIBUTING.md's order, finds exactly that reason: every
earlier check passes because the source row was valid. Text defects (missing message id,
invalid text, missing event name, invalid JSON) are applied by the writer from the `defect`,
`bad_col` and `bad_char` columns; the rest are applied to the columns here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from nudge.generator.common import DAY, EV, HOUR, I64, NULL, B
from nudge.generator.frames import Rows, frame_len, take

EVENT_REASONS = [
    "missing_message_id",
    "invalid_text",
    "missing_event_name",
    "missing_identity",
    "missing_timestamp",
    "missing_received_at",
    "clock_skew",
    "invalid_json",
    "order_missing_id",
    "negative_order_total",
    "missing_required_property",
]
IDENTIFY_REASONS = [
    "missing_message_id",
    "invalid_text",
    "missing_user_id",
    "missing_timestamp",
    "missing_received_at",
    "clock_skew",
    "invalid_json",
]
CATALOG_REASONS = ["missing_product_id", "invalid_text", "missing_updated_at", "invalid_price"]

SOURCE_ROW = "_source_row"  # the clean row a corrupted frame's row is (a copy of)
# characters that make text invalid: C0 controls except tab/newline/CR, and U+FFFD (what a
# non-UTF-8 byte decodes to)
BAD_CHARS = np.array([*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFD], dtype=np.int64)
REQUIRED = {  # event code -> column holding its required property
    EV["Product Viewed"]: "product",
    EV["Product Added"]: "product",
    EV["Product Removed"]: "product",
    EV["Product Added to Wishlist"]: "product",
    EV["Product Reviewed"]: "product",
    EV["Content Downloaded"]: "content",
    EV["Ticket Created"]: "ticket",
}


@dataclass(frozen=True)
class Reason:
    code: str
    eligible: Callable[[dict[str, I64]], B]
    apply: Callable[[np.random.Generator, dict[str, I64]], None]
    # every frame column `eligible` and `apply` read or change: `corrupt` hands them only
    # these (plus ts and recv). Reading one left out raises KeyError, but `_text_target`
    # skips the columns a frame lacks, so its frame columns must be listed here too
    columns: tuple[str, ...] = ()


def _any(f: dict[str, I64]) -> B:
    return np.ones(frame_len(f), dtype=bool)


def _nothing(rng: np.random.Generator, f: dict[str, I64]) -> None:
    return None


def _null(*cols: str) -> Callable[[np.random.Generator, dict[str, I64]], None]:
    def apply(rng: np.random.Generator, f: dict[str, I64]) -> None:
        for c in cols:
            f[c][:] = NULL

    return apply


def _text_target(cols: list[str]) -> Callable[[np.random.Generator, dict[str, I64]], None]:
    """Pick which text column gets the bad character: bad_col indexes `cols`; a NULL column
    (an optional id) falls back to the first one, which is always set."""

    def apply(rng: np.random.Generator, f: dict[str, I64]) -> None:
        n = frame_len(f)
        target = rng.integers(0, len(cols), n)
        for i, c in enumerate(cols):  # loop over columns
            if c in f:
                target = np.where((target == i) & (f[c] == NULL), 0, target)
        f["bad_col"][:] = target
        f["bad_char"][:] = BAD_CHARS[rng.integers(0, len(BAD_CHARS), n)]

    return apply


def _clock_skew(rng: np.random.Generator, f: dict[str, I64]) -> None:
    f["recv"][:] = f["ts"] - rng.integers(DAY + HOUR, 5 * DAY, frame_len(f))


def _negative_total(rng: np.random.Generator, f: dict[str, I64]) -> None:
    f["total"][:] = -np.maximum(f["total"], 100)


def _missing_required(rng: np.random.Generator, f: dict[str, I64]) -> None:
    for event, col in REQUIRED.items():
        m = f["event"] == event
        f[col][m] = NULL


def event_reasons(start: int) -> list[Reason]:
    skew_ok: Callable[[dict[str, I64]], B] = lambda f: f["ts"] >= start + 6 * DAY  # noqa: E731
    is_order: Callable[[dict[str, I64]], B] = lambda f: f["event"] == EV["Order Completed"]  # noqa: E731
    text_columns = ("event", "user", "anon")  # message_id is rendered from mkey
    return [
        Reason("missing_message_id", _any, _nothing),
        Reason("invalid_text", _any, _text_target(["message_id", *text_columns]), text_columns),
        Reason("missing_event_name", _any, _nothing),
        Reason("missing_identity", _any, _null("user", "anon"), ("user", "anon")),
        Reason("missing_timestamp", _any, _null("ts"), ("ts",)),
        Reason("missing_received_at", _any, _null("recv"), ("recv",)),
        Reason("clock_skew", skew_ok, _clock_skew, ("ts", "recv")),
        Reason("invalid_json", _any, _nothing),
        Reason("order_missing_id", is_order, _null("order"), ("event", "order")),
        Reason("negative_order_total", is_order, _negative_total, ("event", "total")),
        Reason(
            "missing_required_property",
            lambda f: np.isin(f["event"], list(REQUIRED)),
            _missing_required,
            ("event", *sorted(set(REQUIRED.values()))),
        ),
    ]


def identify_reasons(start: int) -> list[Reason]:
    skew_ok: Callable[[dict[str, I64]], B] = lambda f: f["ts"] >= start + 6 * DAY  # noqa: E731
    return [
        Reason("missing_message_id", _any, _nothing),
        Reason(
            "invalid_text", _any, _text_target(["message_id", "user", "anon"]), ("user", "anon")
        ),
        Reason("missing_user_id", _any, _null("user"), ("user",)),
        Reason("missing_timestamp", _any, _null("ts"), ("ts",)),
        Reason("missing_received_at", _any, _null("recv"), ("recv",)),
        Reason("clock_skew", skew_ok, _clock_skew, ("ts", "recv")),
        # 2: NULL traits
        Reason("invalid_json", lambda f: f["traits_kind"] != 2, _nothing, ("traits_kind",)),
    ]


def _shift_key(rng: np.random.Generator, f: dict[str, I64], lo: int, hi: int) -> None:
    # valid catalog rows sit on whole minutes; a broken copy never shares their key, and
    # copies broken for different reasons use disjoint second ranges, so two broken copies
    # of one source row never share a key either (that would make one a duplicate)
    f["ts"][:] = f["ts"] + rng.integers(lo, hi, frame_len(f))


def catalog_reasons() -> list[Reason]:
    def missing_updated_at(rng: np.random.Generator, f: dict[str, I64]) -> None:
        f["ts"][:] = NULL

    def invalid_price(rng: np.random.Generator, f: dict[str, I64]) -> None:
        _shift_key(rng, f, 30, 60)
        f["price"][:] = -f["price"]

    def invalid_text(rng: np.random.Generator, f: dict[str, I64]) -> None:
        _shift_key(rng, f, 1, 30)
        _text_target(["product_id", "name", "category"])(rng, f)

    return [  # (product_id, name and category are rendered from product)
        Reason("missing_product_id", _any, _nothing),
        Reason("invalid_text", _any, invalid_text, ("ts",)),
        Reason("missing_updated_at", _any, missing_updated_at, ("ts",)),
        Reason("invalid_price", _any, invalid_price, ("ts", "price")),
    ]


def bad_row_count(share: float, clean: int, duplicates: int, reasons: int) -> int:
    """Broken rows so that they are `share` of all rows; at least one per reason."""
    if share <= 0 or clean == 0:
        return 0
    n = round(share / (1 - share) * (clean + duplicates))
    return max(n, reasons)


def inject_bad_rows(
    rng: np.random.Generator,
    frame: dict[str, I64],
    reasons: list[Reason],
    n_bad: int,
    source_ok: B,
) -> tuple[dict[str, I64], dict[str, int]]:
    """Append `n_bad` broken copies of valid rows, spread evenly over the reasons."""
    frame = dict(frame)
    n = frame_len(frame)
    for col in ("defect", "bad_col", "bad_char"):
        frame.setdefault(col, np.zeros(n, dtype=np.int64))
    per_reason = np.full(len(reasons), n_bad // max(len(reasons), 1))
    per_reason[rng.permutation(len(reasons))[: n_bad - int(per_reason.sum())]] += 1
    parts: list[dict[str, I64]] = [frame]
    counts: dict[str, int] = {}
    for i, reason in enumerate(reasons):  # loop over reasons
        pool = np.flatnonzero(source_ok & reason.eligible(frame))
        k = int(min(per_reason[i], pool.shape[0]))
        if k == 0:
            continue
        bad = take(frame, np.sort(rng.choice(pool, k, replace=False)))
        bad = {c: v.copy() for c, v in bad.items()}
        bad["defect"][:] = i + 1
        reason.apply(rng, bad)
        parts.append(bad)
        counts[reason.code] = k
    out = {c: np.concatenate([p[c] for p in parts]) for c in frame}
    return out, counts


def duplicate_rows(
    rng: np.random.Generator, frame: dict[str, I64], n_dup: int, source_ok: B, end: int
) -> dict[str, I64]:
    """Re-deliveries: exact copies of valid rows; half of them land later (received_at)."""
    pool = np.flatnonzero(source_ok)
    k = int(min(n_dup, pool.shape[0]))
    dup = take(frame, np.sort(rng.choice(pool, k, replace=False)))
    dup = {c: v.copy() for c, v in dup.items()}
    if "recv" in dup:
        later = rng.random(k) < 0.5
        dup["recv"] = np.where(
            later, np.minimum(dup["recv"] + rng.integers(1, 6 * HOUR, k), end), dup["recv"]
        )
    return {c: np.concatenate([frame[c], dup[c]]) for c in frame}


@dataclass
class Corrupted:
    frame: Rows  # the clean rows, then the broken copies, then the re-deliveries
    bad_rows: dict[str, int]  # reason -> broken rows injected
    duplicates: int


def corrupt(
    rng: np.random.Generator,
    frame: Mapping[str, I64],
    reasons: list[Reason],
    bad_share: float,
    duplicate_share: float,
    end: int,
    keys: Callable[[int], I64] | None = None,
) -> Corrupted:
    """Broken copies (fresh keys) and exact re-deliveries (same key) of a clean frame, so
    that they are `bad_share` and `duplicate_share` of the rows written.

    `keys(n)` numbers the clean and broken rows (message ids); re-deliveries copy them.
    Only the columns the reasons use are copied here (with each row's source row number);
    the others are gathered from `frame` when the result is read."""
    touched = {"ts", "recv"}.union(*(reason.columns for reason in reasons))
    n = frame["ts"].shape[0]
    clean = {c: frame[c] for c in sorted(touched) if c in frame}
    clean[SOURCE_ROW] = np.arange(n, dtype=np.int64)
    n_dup = round(duplicate_share * n / (1 - bad_share - duplicate_share))
    n_bad = bad_row_count(bad_share, n, n_dup, len(reasons))
    out, counts = inject_bad_rows(rng, clean, reasons, n_bad, np.ones(n, dtype=bool))
    if keys is not None:
        out["mkey"] = keys(frame_len(out))
    before = frame_len(out)
    out = duplicate_rows(rng, out, n_dup, out["defect"] == 0, end)
    source = out.pop(SOURCE_ROW)
    return Corrupted(Rows(frame, source, out), counts, source.shape[0] - before)
