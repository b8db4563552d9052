"""How a mart value is shown, and the table cell that carries it verbatim: every number on
the page sits in an element with ``data-column`` and ``data-value`` (the mart's value as
text), inside a table with ``data-mart`` and a row with ``data-key`` (or with both on the
element itself), so a test can check the page against the marts."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any


def value_attributes(value: Any, column: str, mart: str = "", key: str = "") -> str:
    raw = "" if value is None else str(value)
    own = (f' data-mart="{escape(mart)}"' if mart else "") + (
        f' data-key="{escape(key)}"' if key else ""
    )
    return f'{own} data-column="{escape(column)}" data-value="{escape(raw)}"'


def cell(value: Any, shown: str, css: str = "", column: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f"<td{cls}{value_attributes(value, column)}>{escape(shown)}</td>"


def text(value: Any) -> str:
    return f"<td>{escape('—' if value is None else str(value))}</td>"


def table(table_id: str, mart: str, headers: Sequence[str], rows: Sequence[tuple[str, str]]) -> str:
    """A table of mart rows: ``rows`` are (row key, cells html)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(f'<tr data-key="{escape(key)}">{cells}</tr>' for key, cells in rows)
    return (
        f'<div class="scroll"><table id="{escape(table_id)}" data-mart="{escape(mart)}">'
        f"<tr>{head}</tr>{body}</table></div>"
    )


def pct(value: Any, scale: float = 1.0) -> str:
    return "—" if value is None else f"{float(value) * scale:.2f}%"


def rate(value: Any) -> str:
    """A fraction (0.1234) as a percentage (12.34%)."""
    return pct(value, 100)


def integer(value: Any) -> str:
    return "—" if value is None else f"{int(value):,}"


def signed(value: Any) -> str:
    return "—" if value is None else f"{int(value):+,}"


def money(value: Any) -> str:
    return "—" if value is None else f"${float(value):,.2f}"


def span(low: Any, high: Any) -> str:
    return "—" if low is None or high is None else f"{float(low):g}-{float(high):g}%"


def points(value: Any) -> str:
    return "—" if value is None else f"{100 * float(value):+.2f}"


def p_value(value: Any) -> str:
    if value is None:
        return "—"
    return "< 0.0001" if float(value) < 0.0001 else f"{float(value):.4f}"
