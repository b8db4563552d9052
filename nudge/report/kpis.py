"""The top of the report: for each period a marketer picks (the last 7 days, 4 weeks or 13
weeks, rows of performance.email_kpis), the headline figures with their change against
the period before, and their trends by day or by week. One section per period; a small
script shows the one picked in the selector (without script, all are shown)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from . import charts
from .cells import integer, money, rate, signed, value_attributes

MART = "email_kpis"


@dataclass(frozen=True)
class Period:
    grain: str  # email_kpis.grain of its current and previous rows
    label: str
    trend_grain: str  # 'day' or 'week'


PERIODS = (
    Period("last_7_days", "Last 7 days", "day"),
    Period("last_28_days", "Last 4 weeks", "day"),
    Period("last_91_days", "Last 13 weeks", "week"),
)


@dataclass(frozen=True)
class Kpi:
    column: str
    label: str
    shown: Callable[[Any], str]
    is_rate: bool = False  # change in points, not in percent


KPIS = (
    Kpi("sends", "Emails sent", integer),
    Kpi("delivered", "Delivered", integer),
    Kpi("open_rate", "Open rate", rate, is_rate=True),
    Kpi("click_through_rate", "Click rate", rate, is_rate=True),
    Kpi("attributed_revenue", "Attributed revenue", money),
    Kpi("revenue_per_recipient", "Revenue per recipient", money),
    Kpi("unsubscribes", "Unsubscribes", integer),
    Kpi("unsubscribe_rate", "Unsubscribe rate", rate, is_rate=True),
    Kpi("net_list_growth", "List growth (net)", signed),
)


def change(kpi: Kpi, current: Any, previous: Any) -> float | None:
    """Rates: the difference in percentage points; other figures: the relative change in
    percent. None when either is missing, or the previous value is 0 (no base)."""
    if current is None or previous is None:
        return None
    if kpi.is_rate:
        return 100 * (float(current) - float(previous))
    if float(previous) == 0:
        return None
    return 100 * (float(current) - float(previous)) / abs(float(previous))


def _change_text(kpi: Kpi, delta: float | None) -> str:
    if delta is None:
        return "no earlier figure to compare"
    unit = " pts" if kpi.is_rate else "%"
    arrow = "▲" if delta > 0 else "▼" if delta < 0 else "="
    return f"{arrow} {delta:+.1f}{unit} vs previous"


def _card(kpi: Kpi, current: dict[str, Any], previous: dict[str, Any] | None) -> str:
    now = current[kpi.column]
    before = previous[kpi.column] if previous else None
    delta = change(kpi, now, before)
    shown = escape(kpi.shown(now))
    value = value_attributes(now, kpi.column, MART, str(current["kpi_key"]))
    earlier = ""
    if previous is not None:
        attributes = value_attributes(before, kpi.column, MART, str(previous["kpi_key"]))
        earlier = f'<span class="previous"{attributes}>{escape(kpi.shown(before))} before</span>'
    raw_delta = "" if delta is None else repr(delta)
    return (
        f'<div class="kpi" data-kpi="{kpi.column}"><div class="label">{escape(kpi.label)}</div>'
        f'<div class="figure"{value}>{shown}</div>'
        f'<div class="change" data-change="{raw_delta}">{escape(_change_text(kpi, delta))}</div>'
        f"{earlier}</div>"
    )


def _rows(kpis: Sequence[dict[str, Any]], grain: str) -> list[dict[str, Any]]:
    return [row for row in kpis if row["grain"] == grain]


def _trends(period: Period, current: dict[str, Any], kpis: Sequence[dict[str, Any]]) -> str:
    rows = [
        row
        for row in _rows(kpis, period.trend_grain)
        if row["period_end"] >= current["period_start"]
        and row["period_start"] <= current["period_end"]
    ]
    by = "day" if period.trend_grain == "day" else "week (Monday to Sunday)"
    prefix = f"trend-{period.grain}"
    return (
        f"<h3>Trends by {escape(by)}</h3>"
        + charts.trend(
            rows,
            {"sends": "sent", "delivered": "delivered", "opens": "opened", "clicks": "clicked"},
            f"{prefix}-emails",
            title="emails",
        )
        + charts.trend(
            rows,
            {"open_rate": "open rate", "click_through_rate": "click rate"},
            f"{prefix}-rates",
            percent=True,
            title="of delivered",
        )
        + charts.bars_over_time(
            rows, "attributed_revenue", f"{prefix}-revenue", title="attributed revenue", money=True
        )
        + charts.bars_over_time(
            rows, "net_list_growth", f"{prefix}-list", title="net list growth", money=False
        )
    )


def period_section(period: Period, kpis: Sequence[dict[str, Any]], hidden: bool) -> str:
    rows = _rows(kpis, period.grain)
    current = next((r for r in rows if r["comparison"] == "current"), None)
    previous = next((r for r in rows if r["comparison"] == "previous"), None)
    attributes = f'class="period" id="period-{period.grain}" data-period="{period.grain}"'
    if current is None:
        return f'<section {attributes}><p class="muted">No figures for this period.</p></section>'
    span = f"{current['period_start']:%a %d %b %Y} to {current['period_end']:%a %d %b %Y}"
    before = (
        f"; compared with {previous['period_start']:%d %b} to {previous['period_end']:%d %b %Y}"
        if previous
        else ""
    )
    cards = "".join(_card(kpi, current, previous) for kpi in KPIS)
    return (
        f"<section {attributes}{' hidden' if hidden else ''}>"
        f'<p class="range">{escape(period.label)}: {escape(span)} (UTC days){escape(before)}.</p>'
        f'<div class="kpis">{cards}</div>{_trends(period, current, kpis)}</section>'
    )


SCRIPT = """<script>
(function () {
  var select = document.getElementById('period-select');
  function show() {
    document.querySelectorAll('section.period').forEach(function (section) {
      section.hidden = section.dataset.period !== select.value;
    });
  }
  select.addEventListener('change', show);
  show();
})();
</script>"""


def section(kpis: Sequence[dict[str, Any]]) -> str:
    """The period selector, one section per period, and the script that switches them."""
    if not kpis:
        return '<p class="muted">No email activity has been measured yet.</p>'
    options = "".join(f'<option value="{p.grain}">{escape(p.label)}</option>' for p in PERIODS)
    sections = "".join(period_section(p, kpis, hidden=i > 0) for i, p in enumerate(PERIODS))
    return (
        '<p class="selector"><label for="period-select">Period</label> '
        f'<select id="period-select">{options}</select> <span class="muted">Emails are '
        "counted on the day they were sent, with everything they led to (opens, clicks, "
        "attributed orders); list growth on the day contacts subscribed or left.</span></p>"
        f"{sections}{SCRIPT}"
    )
