"""The report's charts: Vega-Lite specifications written with Altair and rendered to static
SVG by vl-convert (offline: no browser, no script, nothing fetched). Each chart is one
``<figure>`` holding an ``<svg>`` with the chart's id; time axes are UTC, with the ticks
and labels Vega chooses.

    html = charts.segment_sizes(sizes)   # '<figure class="chart"><svg id="segment-sizes" …'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from html import escape
from typing import Any

import altair as alt
import vl_convert

WIDTH = 640
PALETTE = ["#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b83280", "#2c7a7b", "#975a16", "#4a5568"]
CONFIG: dict[str, Any] = {
    # a font vl-convert and the browser both have, so labels measured for the SVG's layout
    # are drawn at the same width (Debian's fonts-dejavu-core)
    "font": "DejaVu Sans, sans-serif",
    "range": {"category": PALETTE},
    "view": {"stroke": None},
    "axis": {
        "labelFontSize": 11,
        "titleFontSize": 12,
        "grid": True,
        "gridColor": "#edf2f7",
        "labelLimit": 260,
    },
    "legend": {"orient": "right", "labelLimit": 220},
}


def _json(value: Any) -> Any:
    """A mart value as Vega reads it: numbers as floats, instants and days as ISO text."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _values(rows: Sequence[Mapping[str, Any]]) -> alt.Data:
    return alt.Data(values=[{key: _json(value) for key, value in row.items()} for row in rows])


def render(chart: alt.TopLevelMixin, chart_id: str, caption: str = "") -> str:
    """The chart as a static SVG (``<svg id=chart_id>``) in a ``<figure>``."""
    spec = chart.to_dict(validate=False)
    spec["config"] = {**CONFIG, **spec.get("config", {})}
    svg = vl_convert.vegalite_to_svg(spec).replace("<svg ", f'<svg id="{escape(chart_id)}" ', 1)
    note = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return f'<figure class="chart">{svg}{note}</figure>'


def empty(chart_id: str, message: str) -> str:
    """A placeholder with the chart's id, saying why there is nothing to draw."""
    return f'<figure class="chart empty" id="{escape(chart_id)}"><p>{escape(message)}</p></figure>'


def _time_axis(field: str, title: str | None = None) -> alt.X:
    return alt.X(f"{field}:T", title=title, scale=alt.Scale(type="utc"))


def trend(
    rows: Sequence[Mapping[str, Any]],
    measures: Mapping[str, str],
    chart_id: str,
    *,
    percent: bool = False,
    title: str = "",
) -> str:
    """One line per measure (column -> label) over the rows' period_start, a point for each
    period; rates as percentages when ``percent``."""
    long = [
        {"period_start": row["period_start"], "measure": label, "value": row[column]}
        for row in rows
        for column, label in measures.items()
    ]
    y_axis = alt.Axis(format=".0%") if percent else alt.Axis(format="~s", tickMinStep=1)
    chart = (
        alt.Chart(_values(long))
        .mark_line(point=True)
        .encode(
            x=_time_axis("period_start"),
            y=alt.Y("value:Q", title=title or None, axis=y_axis),
            color=alt.Color("measure:N", title=None, sort=list(measures.values())),
        )
        .properties(width=WIDTH, height=180)
    )
    return render(chart, chart_id)


def bars_over_time(
    rows: Sequence[Mapping[str, Any]], column: str, chart_id: str, *, title: str, money: bool
) -> str:
    """One bar per period of ``column``, spanning the period's days on the time axis
    (period_start to the end of period_end); negative values below the axis."""
    values = [
        {
            "period_start": r["period_start"],
            "period_stop": r["period_end"] + timedelta(days=1),
            "value": r[column],
        }
        for r in rows
    ]
    chart = (
        alt.Chart(_values(values))
        .mark_bar(color=PALETTE[2] if money else PALETTE[3], stroke="#fff", strokeWidth=1)
        .encode(
            x=_time_axis("period_start"),
            x2="period_stop:T",
            y2=alt.datum(0),
            y=alt.Y(
                "value:Q",
                title=title,
                axis=alt.Axis(format="$,.0f" if money else "d", tickMinStep=1),
            ),
        )
        .properties(width=WIDTH, height=160)
    )
    return render(chart, chart_id)


def rfm_heatmap(cells: Sequence[Mapping[str, Any]], chart_id: str = "rfm-heatmap") -> str:
    """Recency (rows, 5 on top) by frequency (columns): contacts per cell and revenue."""
    rows = [
        {
            "R": f"R{int(c['r_score'])}",
            "F": f"F{int(c['f_score'])}",
            "contacts": int(c["contacts"]),
            "label": f"{int(c['contacts']):,} · ${float(c['revenue'] or 0):,.0f}",
        }
        for c in cells
    ]
    base = alt.Chart(_values(rows)).encode(
        x=alt.X(
            "F:O",
            title="Frequency score (F)",
            sort=[f"F{i}" for i in range(1, 6)],
            axis=alt.Axis(labelAngle=0, grid=False),
        ),
        y=alt.Y(
            "R:O",
            title="Recency score (R)",
            sort=[f"R{i}" for i in range(5, 0, -1)],
            axis=alt.Axis(grid=False),
        ),
    )
    grid = base.mark_rect(stroke="#cbd5e0").encode(
        color=alt.Color(
            "contacts:Q", scale=alt.Scale(scheme="blues", domainMin=0), title="contacts"
        )
    )
    most = max((int(c["contacts"]) for c in cells), default=0)
    text = base.mark_text(fontSize=11).encode(
        text="label:N",
        color=alt.condition(
            f"datum.contacts > {0.55 * most}", alt.value("#ffffff"), alt.value("#1a202c")
        ),
    )
    return render((grid + text).properties(width=480, height=320), chart_id)


def segment_sizes(
    sizes: Mapping[str, Sequence[tuple[datetime, int]]], chart_id: str = "segment-sizes"
) -> str:
    """Members per segment after each recorded run, one line per segment."""
    rows = [
        {"at": at, "segment": segment, "members": members}
        for segment, series in sizes.items()
        for at, members in series
    ]
    if not rows:
        return empty(chart_id, "No segment membership has been recorded yet.")
    chart = (
        alt.Chart(_values(rows))
        .mark_line(point=True)
        .encode(
            x=_time_axis("at", "run (UTC)"),
            y=alt.Y("members:Q", title="members", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color("segment:N", title=None),
            tooltip=["segment:N", "at:T", "members:Q"],
        )
        .properties(width=WIDTH, height=240)
    )
    return render(chart, chart_id)


def movement(moves: Sequence[Mapping[str, Any]], chart_id: str = "rfm-movement") -> str:
    """Contacts moving from one RFM segment (row) to another (column) at the same run."""
    rows = [
        {
            "from": str(m["from_segment"]).removeprefix("rfm_"),
            "to": str(m["to_segment"]).removeprefix("rfm_"),
            "contacts": int(m["contacts"]),
        }
        for m in moves
    ]
    base = alt.Chart(_values(rows)).encode(
        x=alt.X("to:N", title="to", axis=alt.Axis(labelAngle=-40, grid=False)),
        y=alt.Y("from:N", title="from", axis=alt.Axis(grid=False)),
    )
    cells = base.mark_rect(stroke="#e2e8f0").encode(
        color=alt.Color("contacts:Q", scale=alt.Scale(scheme="blues", domainMin=0), legend=None)
    )
    most = max((int(m["contacts"]) for m in moves), default=0)
    text = base.mark_text(fontSize=11).encode(
        text="contacts:Q",
        color=alt.condition(
            f"datum.contacts > {0.55 * most}", alt.value("#ffffff"), alt.value("#1a202c")
        ),
    )
    return render((cells + text).properties(width=alt.Step(44), height=alt.Step(44)), chart_id)


def audience_bars(
    rows: Sequence[Mapping[str, Any]],
    label: str,
    column: str,
    chart_id: str,
    *,
    title: str,
    axis_format: str,
) -> str:
    """One horizontal bar per audience (``label`` column) of ``column``, largest on top."""
    values = [{"audience": r[label], "value": r[column]} for r in rows if r[column] is not None]
    if not values:
        return empty(chart_id, "Nothing to show yet.")
    chart = (
        alt.Chart(_values(values))
        .mark_bar(color=PALETTE[0])
        .encode(
            x=alt.X("value:Q", title=title, axis=alt.Axis(format=axis_format)),
            y=alt.Y("audience:N", title=None, sort="-x"),
        )
        .properties(width=360, height=alt.Step(18))
    )
    return render(chart, chart_id)


FUNNEL_STAGES = (
    ("sends", "sent"),
    ("opens", "opened"),
    ("clicks", "clicked"),
    ("conversions", "attributed orders"),
)


def funnel(flow: Mapping[str, Any], chart_id: str) -> str:
    """sent → opened → clicked → attributed orders for one flow_benchmark_comparison row."""
    rows = [
        {"stage": label, "order": index, "value": int(flow[column] or 0)}
        for index, (column, label) in enumerate(FUNNEL_STAGES)
    ]
    base = alt.Chart(_values(rows)).encode(
        y=alt.Y("stage:N", title=None, sort=[label for _, label in FUNNEL_STAGES]),
        x=alt.X("value:Q", title=None, axis=alt.Axis(format="~s", tickMinStep=1)),
    )
    bars = base.mark_bar().encode(color=alt.Color("stage:N", legend=None))
    text = base.mark_text(align="left", dx=4).encode(text=alt.Text("value:Q", format=","))
    return render((bars + text).properties(width=380, height=alt.Step(22)), chart_id)


def lift_forest(lifts: Sequence[Mapping[str, Any]], chart_id: str = "lift-chart") -> str:
    """Absolute lift in points with its 95% interval per flow; the dashed line is no effect."""
    rows = [
        {
            "flow": str(r["trigger_key"]) + (" (few units)" if r.get("sample_warning") else ""),
            "lift": 100 * float(r["absolute_lift"]),
            "low": 100 * float(r["ci_low"]),
            "high": 100 * float(r["ci_high"]),
            "significant": "interval excludes 0" if r["is_significant"] else "includes 0",
        }
        for r in lifts
        if r["ci_low"] is not None and r["ci_high"] is not None
    ]
    if not rows:
        return empty(chart_id, "No experiment has both a sent and a held-out group yet.")
    color = alt.Color(
        "significant:N",
        title=None,
        scale=alt.Scale(
            domain=["interval excludes 0", "includes 0"], range=[PALETTE[0], "#a0aec0"]
        ),
    )
    base = alt.Chart(_values(rows)).encode(y=alt.Y("flow:N", title=None))
    interval = base.mark_rule(strokeWidth=3).encode(
        x=alt.X("low:Q", title="lift (percentage points), 95% interval"), x2="high:Q", color=color
    )
    point = base.mark_point(filled=True, size=70).encode(x="lift:Q", color=color)
    zero = (
        alt.Chart(alt.Data(values=[{"zero": 0}]))
        .mark_rule(strokeDash=[4, 3], color="#718096")
        .encode(x="zero:Q")
    )
    return render((zero + interval + point).properties(width=WIDTH, height=alt.Step(28)), chart_id)
