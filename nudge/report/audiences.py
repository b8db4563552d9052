"""Who the emails work for: performance per segment and per lifecycle stage
(performance.audience_performance) and customer lifetime value per segment and per
lifecycle stage (performance.segment_lifetime_value, lifecycle_stage_lifetime_value), each
as a chart and a table."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from . import charts
from .cells import cell, integer, money, rate, table

AUDIENCE_COLUMNS = (
    ("contacts_sent", "contacts emailed", integer),
    ("sends", "emails", integer),
    ("delivered", "delivered", integer),
    ("open_rate", "open rate", rate),
    ("click_through_rate", "click rate", rate),
    ("conversions", "attributed orders", integer),
    ("conversion_rate", "attributed conversion rate", rate),
    ("revenue", "attributed revenue", money),
    ("revenue_per_email", "revenue per email", money),
)

VALUE_COLUMNS = (
    ("members", "members", integer),
    ("customers", "customers", integer),
    ("orders", "orders", integer),
    ("lifetime_revenue", "lifetime revenue", money),
    ("lifetime_value_per_member", "CLV per member", money),
    ("lifetime_value_per_customer", "CLV per customer", money),
    ("orders_per_customer", "orders per customer", lambda v: "—" if v is None else f"{v:.2f}"),
)

DIMENSIONS = (("segment", "segment"), ("lifecycle_stage", "lifecycle stage"))


def _audience_table(dimension: str, label: str, rows: Sequence[dict[str, Any]]) -> str:
    headers = [label, *(title for _, title, _ in AUDIENCE_COLUMNS)]
    body = [
        (
            str(r["audience_key"]),
            f"<td>{escape(str(r['audience']))}</td>"
            + "".join(cell(r[c], show(r[c]), column=c) for c, _, show in AUDIENCE_COLUMNS),
        )
        for r in rows
    ]
    return table(f"audience-{dimension}", "audience_performance", headers, body)


# (mart, its key column, heading, chart and table ids) of the lifetime value tables
VALUE_MARTS = (
    ("segment_lifetime_value", "segment_key", "segment", "segment-clv"),
    ("lifecycle_stage_lifetime_value", "lifecycle_stage", "lifecycle stage", "stage-clv"),
)


def _value_table(
    table_id: str, mart: str, key: str, label: str, rows: Sequence[dict[str, Any]]
) -> str:
    headers = [label, *(title for _, title, _ in VALUE_COLUMNS)]
    body = [
        (
            str(r[key]),
            f"<td>{escape(str(r[key]))}</td>"
            + "".join(cell(r[c], show(r[c]), column=c) for c, _, show in VALUE_COLUMNS),
        )
        for r in rows
    ]
    return table(table_id, mart, headers, body)


def section(
    audiences: Sequence[dict[str, Any]],
    segment_values: Sequence[dict[str, Any]],
    stage_values: Sequence[dict[str, Any]],
) -> str:
    parts = [
        "<h2>Who the emails work for</h2>",
        "<p>Every email confirmed sent so far, counted in the segments its contact was in "
        "when it went out and in the contact's current lifecycle stage; orders are the "
        "attributed ones.</p>",
    ]
    for dimension, label in DIMENSIONS:
        rows = [r for r in audiences if r["dimension"] == dimension]
        parts.append(f"<h3>Per {escape(label)}</h3>")
        parts.append(
            charts.audience_bars(
                rows,
                "audience",
                "revenue_per_email",
                f"audience-{dimension}-revenue",
                title="attributed revenue per email",
                axis_format="$,.2f",
            )
        )
        parts.append(_audience_table(dimension, label, rows))
    parts.append("<h2>Customer lifetime value</h2>")
    parts.append(
        "<p>Contacts today, their lifetime revenue net of refunds and their orders; a contact "
        "counts in each of its segments and in its one lifecycle stage.</p>"
    )
    for (mart, key, label, chart_id), values in zip(
        VALUE_MARTS, (segment_values, stage_values), strict=True
    ):
        parts.append(f"<h3>Per {escape(label)}</h3>")
        parts.append(
            charts.audience_bars(
                values,
                key,
                "lifetime_value_per_member",
                chart_id,
                title="lifetime revenue per contact",
                axis_format="$,.0f",
            )
        )
        parts.append(_value_table(f"{chart_id}-table", mart, key, label, values))
    return "".join(parts)
