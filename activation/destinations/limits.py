"""Each ESP's documented limits on one record (a profile or an event), declared as data per
destination (docs/esp_limits.md lists them with their sources), and one checker that applies
them before anything is sent:

- a free-text string in the record's ``properties`` longer than the per-string limit is cut
  to it (on a UTF-8 character boundary) and the cut is counted and logged by name, never by
  value: the rest of the text still reaches the ESP;
- a record over a hard limit (its size as sent, its number of properties, a property name,
  an identifier) fails that row with a reason naming the limit: it is never sent as it is,
  and the other rows of the batch go on.

Mapped ``attributes`` (names, cities: not free text) are never cut; one over the per-string
limit is left to the ESP, which rejects that row alone (a 207 / import error names it).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

log = logging.getLogger(__name__)


class Limited(Protocol):
    """What the checker reads of a record (``ProfileRecord`` and ``EventRecord`` both are)."""

    @property
    def record_key(self) -> str: ...
    @property
    def email(self) -> str | None: ...
    @property
    def external_id(self) -> str | None: ...
    @property
    def properties(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=Limited)


@dataclass(frozen=True)
class RecordLimits:
    """One kind of record's limits at one ESP (None: none documented). ``what`` names them
    in reasons ("Klaviyo event"). String limits are in UTF-8 bytes, or in characters where
    the ESP counts characters."""

    what: str
    string_bytes: int | None = None
    string_chars: int | None = None
    properties: int | None = None  # properties (and attributes) per record
    name_bytes: int | None = None  # each property name
    payload_bytes: int | None = None  # the record as sent, compact JSON
    identifier_bytes: int | None = None  # email and external_id


@dataclass
class Checked(Generic[R]):
    """Records that may be sent (strings cut where needed) and the rows that may not."""

    sendable: list[R] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    truncated: dict[str, list[str]] = field(default_factory=dict)  # key -> property names


@dataclass
class TruncationCount:
    """Strings cut over a destination's lifetime (a run): rows, and strings."""

    rows: int = 0
    strings: int = 0


def truncate_utf8(text: str, max_bytes: int) -> str:
    """``text`` cut to at most ``max_bytes`` UTF-8 bytes, never inside a character."""
    encoded = text.encode()
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


class LimitChecker:
    """Applies one destination's ``RecordLimits``; counts what it cut in ``truncations``."""

    def __init__(self, destination: str) -> None:
        self.destination = destination
        self.truncations = TruncationCount()

    def check(
        self, records: Sequence[R], limits: RecordLimits, body: Callable[[R], Any]
    ) -> Checked[R]:
        """Each record with its free-text strings cut to ``limits``, then sendable or failed;
        ``body`` maps a record to what is sent for it (its size is checked)."""
        checked: Checked[R] = Checked()
        for record in records:
            cut: list[str] = []
            properties = {
                name: self._cut(value, limits, name, cut)
                for name, value in record.properties.items()
            }
            # records are frozen dataclasses: the cut copy replaces the record
            fitted = dataclasses.replace(record, properties=properties) if cut else record  # type: ignore[type-var]
            problem = self._problem(fitted, limits, body)
            if problem is not None:
                checked.failed[record.record_key] = f"{limits.what} not sent: {problem}"
                continue
            if cut:
                checked.truncated[record.record_key] = cut
                self.truncations.rows += 1
                self.truncations.strings += len(cut)
                log.warning(
                    "%s %s: %s cut to %s's limit (%s)",
                    limits.what,
                    record.record_key,
                    ", ".join(repr(name) for name in cut),
                    self.destination,
                    _string_limit(limits),
                )
            checked.sendable.append(fitted)
        return checked

    def _cut(self, value: Any, limits: RecordLimits, name: str, cut: list[str]) -> Any:
        if isinstance(value, str):
            fitted = _fit(value, limits)
            if fitted != value and name not in cut:
                cut.append(name)
            return fitted
        if isinstance(value, Mapping):
            return {key: self._cut(item, limits, name, cut) for key, item in value.items()}
        if isinstance(value, list):
            return [self._cut(item, limits, name, cut) for item in value]
        return value

    def _problem(self, record: R, limits: RecordLimits, body: Callable[[R], Any]) -> str | None:
        if limits.identifier_bytes is not None:
            for label, identifier in (("email", record.email), ("external_id", record.external_id)):
                size = len((identifier or "").encode())
                if size > limits.identifier_bytes:
                    return f"{label} is {size} bytes, over the {limits.identifier_bytes}-byte limit"
        attributes: Mapping[str, Any] = getattr(record, "attributes", {}) or {}
        count = len(record.properties) + len(attributes)
        if limits.properties is not None and count > limits.properties:
            return f"{count} properties, over the limit of {limits.properties}"
        if limits.name_bytes is not None:
            for name in (*record.properties, *attributes):
                if len(name.encode()) > limits.name_bytes:
                    return f"property name {name!r} is over the {limits.name_bytes}-byte limit"
        if limits.payload_bytes is not None:
            size = len(json.dumps(body(record), separators=(",", ":")).encode())
            if size > limits.payload_bytes:
                return f"payload is {size} bytes, over the {limits.payload_bytes}-byte limit"
        return None


def _fit(text: str, limits: RecordLimits) -> str:
    if limits.string_chars is not None:
        text = text[: limits.string_chars]
    if limits.string_bytes is not None:
        text = truncate_utf8(text, limits.string_bytes)
    return text


def _string_limit(limits: RecordLimits) -> str:
    parts = []
    if limits.string_bytes is not None:
        parts.append(f"{limits.string_bytes} bytes")
    if limits.string_chars is not None:
        parts.append(f"{limits.string_chars} characters")
    return " and ".join(parts) + " per string" if parts else "none"


def rows_truncated(destination: object) -> int:
    """Rows a destination sent with strings cut to its limits (0 for one without a checker)."""
    checker = getattr(destination, "checker", None)
    return checker.truncations.rows if isinstance(checker, LimitChecker) else 0
