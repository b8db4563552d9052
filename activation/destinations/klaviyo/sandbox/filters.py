"""Parse Klaviyo's ``filter`` query parameter: ``equals(email,"a@b.c")``, ``any(id,["x","y"])``,
``greater-than(datetime,2024-01-01T00:00:00Z)``, combined with ``and(...)`` or top-level commas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import invalid

_VALUE_END = ",)]"


@dataclass(frozen=True)
class Condition:
    operator: str
    field: str
    value: Any


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, why: str) -> Exception:
        return invalid(
            f"Invalid filter {self.text!r} at position {self.pos}: {why}.", parameter="filter"
        )

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_spaces(self) -> None:
        while self.peek() == " ":
            self.pos += 1

    def expect(self, char: str) -> None:
        self.skip_spaces()
        if self.peek() != char:
            raise self.fail(f"expected {char!r}")
        self.pos += 1

    def word(self) -> str:
        self.skip_spaces()
        start = self.pos
        while self.peek() and (self.peek().isalnum() or self.peek() in "-_."):
            self.pos += 1
        if start == self.pos:
            raise self.fail("expected a name")
        return self.text[start : self.pos]

    def expressions(self) -> list[Condition]:
        conditions = self.expression()
        self.skip_spaces()
        while self.peek() == ",":
            self.pos += 1
            conditions += self.expression()
            self.skip_spaces()
        if self.pos != len(self.text):
            raise self.fail("unexpected trailing text")
        return conditions

    def expression(self) -> list[Condition]:
        operator = self.word()
        self.expect("(")
        if operator == "and":
            conditions = self.expression()
            self.skip_spaces()
            while self.peek() == ",":
                self.pos += 1
                conditions += self.expression()
                self.skip_spaces()
            self.expect(")")
            return conditions
        field = self.word()
        self.expect(",")
        value = self.value()
        self.expect(")")
        return [Condition(operator, field, value)]

    def value(self) -> Any:
        self.skip_spaces()
        char = self.peek()
        if char in "\"'":
            return self.string()
        if char == "[":
            self.pos += 1
            items: list[Any] = []
            self.skip_spaces()
            if self.peek() == "]":
                self.pos += 1
                return items
            while True:
                items.append(self.value())
                self.skip_spaces()
                if self.peek() == "]":
                    self.pos += 1
                    return items
                self.expect(",")
        start = self.pos
        while self.peek() and self.peek() not in _VALUE_END:
            self.pos += 1
        raw = self.text[start : self.pos].strip()
        if not raw:
            raise self.fail("expected a value")
        if raw in ("true", "false"):
            return raw == "true"
        if raw == "null":
            return None
        try:
            return int(raw)
        except ValueError:
            pass
        try:
            return float(raw)
        except ValueError:
            return raw

    def string(self) -> str:
        quote = self.peek()
        self.pos += 1
        out = []
        while True:
            char = self.peek()
            if not char:
                raise self.fail("unterminated string")
            self.pos += 1
            if char == "\\" and self.peek():
                out.append(self.peek())
                self.pos += 1
            elif char == quote:
                return "".join(out)
            else:
                out.append(char)


def parse_filter(text: str | None, allowed: dict[str, set[str]]) -> list[Condition]:
    """Parse ``text``; ``allowed`` maps each filterable field to its operators."""
    if not text:
        return []
    conditions = _Parser(text).expressions()
    for condition in conditions:
        operators = allowed.get(condition.field)
        if operators is None:
            raise invalid(
                f"'{condition.field}' is not a valid field for this filter; "
                f"allowed: {', '.join(sorted(allowed))}.",
                parameter="filter",
            )
        if condition.operator not in operators:
            raise invalid(
                f"'{condition.operator}' is not a valid operator for '{condition.field}'; "
                f"allowed: {', '.join(sorted(operators))}.",
                parameter="filter",
            )
        if condition.operator == "any" and not isinstance(condition.value, list):
            raise invalid(f"any({condition.field},…) needs a list value.", parameter="filter")
    return conditions
