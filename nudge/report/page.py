"""The report page: sections of inline SVG charts and tables. Every number shown comes from
a mart row; each table cell also carries the mart's value verbatim (``data-value``) so a
test can check the page against the marts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from . import svg
from .data import ReportData, read_report_data

STYLE = """
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#1a202c}
h1{margin-bottom:0}h2{margin-top:36px;border-bottom:1px solid #e2e8f0;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{border:1px solid #e2e8f0;padding:4px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}
td.below{background:#fed7d7;color:#822727;font-weight:600}td.too_few_sends{color:#718096}td.above{background:#c6f6d5}
.muted{color:#718096}.funnels{display:flex;flex-wrap:wrap;gap:12px 32px}
.funnel h3{margin:8px 0 2px;font-size:14px}
"""


def _cell(value: Any, shown: str, css: str = "", column: str = "") -> str:
    raw = "" if value is None else str(value)
    cls = f' class="{css}"' if css else ""
    return (
        f'<td{cls} data-column="{escape(column)}" data-value="{escape(raw)}">{escape(shown)}</td>'
    )


def _pct(value: Any, scale: float = 1.0) -> str:
    return "—" if value is None else f"{float(value) * scale:.2f}%"


def _int(value: Any) -> str:
    return "—" if value is None else f"{int(value):,}"


def _money(value: Any) -> str:
    return "—" if value is None else f"${float(value):,.2f}"


def _range(low: Any, high: Any) -> str:
    return "—" if low is None or high is None else f"{float(low):g}-{float(high):g}%"


def _benchmark_table(flows: Sequence[dict[str, Any]]) -> str:
    head = (
        "<tr><th>flow</th><th>family</th><th>sends</th><th>open rate</th><th>typical</th>"
        "<th>click-through</th><th>typical</th><th>conversion</th><th>typical</th>"
        "<th>revenue</th></tr>"
    )
    rows = []
    for f in flows:
        cells = [
            f'<td data-column="trigger_key">{escape(f["trigger_key"])}</td>',
            f"<td>{escape(f['flow_label'] or '—')}</td>",
            _cell(f["sends"], _int(f["sends"]), column="sends"),
        ]
        for rate, low, high, position in (
            ("open_rate_pct", "open_rate_low_pct", "open_rate_high_pct", "open_rate_position"),
            ("click_rate_pct", "click_rate_low_pct", "click_rate_high_pct", "click_rate_position"),
            (
                "conversion_rate_pct",
                "conversion_rate_low_pct",
                "conversion_rate_high_pct",
                "conversion_rate_position",
            ),
        ):
            flag = f[position] or ""
            shown = _pct(f[rate]) + POSITION_NOTES.get(flag, "")
            cells.append(_cell(f[rate], shown, flag, rate))
            cells.append(f'<td class="muted">{_range(f[low], f[high])}</td>')
        cells.append(_cell(f["revenue"], _money(f["revenue"]), column="revenue"))
        rows.append(f'<tr data-trigger="{escape(f["trigger_key"])}">{"".join(cells)}</tr>')
    return f'<table id="flow-benchmarks">{head}{"".join(rows)}</table>'


POSITION_NOTES = {"below": " ▼ under par", "too_few_sends": " (too few sends to judge)"}


LIFT_COLUMNS = (
    ("control_units", "control n", _int),
    ("control_rate", "control rate", lambda v: _pct(v, 100)),
    ("treatment_units", "treatment n", _int),
    ("treatment_rate", "treatment rate", lambda v: _pct(v, 100)),
    ("absolute_lift", "lift (points)", lambda v: "—" if v is None else f"{100 * float(v):+.2f}"),
    ("relative_lift", "relative lift", lambda v: _pct(v, 100)),
    ("ci_low", "95% CI low", lambda v: "—" if v is None else f"{100 * float(v):+.2f}"),
    ("ci_high", "95% CI high", lambda v: "—" if v is None else f"{100 * float(v):+.2f}"),
    ("p_value", "p-value", lambda v: "—" if v is None else f"{float(v):.4f}"),
)


def _lift_table(lifts: Sequence[dict[str, Any]]) -> str:
    head = (
        "<tr><th>flow</th><th>comparison</th><th>metric</th>"
        + "".join(f"<th>{escape(label)}</th>" for _, label, _ in LIFT_COLUMNS)
        + "<th>significant</th></tr>"
    )
    rows = []
    for r in lifts:
        cells = [
            f"<td>{escape(r['trigger_key'])}</td>",
            f"<td>{escape(r['comparison'].replace('_', ' '))}</td>",
            f"<td>{escape(r['metric'])}</td>",
        ]
        cells += [
            _cell(r[column], show(r[column]), column=column) for column, _, show in LIFT_COLUMNS
        ]
        cells.append(f"<td>{'yes' if r['is_significant'] else 'no'}</td>")
        rows.append(f'<tr data-result="{escape(r["result_key"])}">{"".join(cells)}</tr>')
    return f'<table id="lift-table">{head}{"".join(rows)}</table>'


STEP_COLUMNS = (
    ("sends", _int),
    ("delivered", _int),
    ("opens", _int),
    ("clicks", _int),
    ("conversions", _int),
    ("revenue", _money),
    ("open_rate", lambda v: _pct(v, 100)),
    ("click_through_rate", lambda v: _pct(v, 100)),
    ("conversion_rate", lambda v: _pct(v, 100)),
    ("revenue_per_email", _money),
    ("unsubscribe_rate", lambda v: _pct(v, 100)),
    ("complaint_rate", lambda v: _pct(v, 100)),
    ("median_minutes_to_conversion", lambda v: "—" if v is None else f"{float(v):,.0f} min"),
)


def _steps_table(steps: Sequence[dict[str, Any]]) -> str:
    head = (
        "<tr><th>flow</th><th>step</th><th>variant</th>"
        + "".join(f"<th>{escape(column.replace('_', ' '))}</th>" for column, _ in STEP_COLUMNS)
        + "</tr>"
    )
    rows = []
    for s in steps:
        cells = [f"<td>{escape(s['trigger_key'])}</td>", f"<td>{s['step']}</td>"]
        cells.append(f"<td>{escape(s['variant'])}</td>")
        cells += [_cell(s[column], show(s[column]), column=column) for column, show in STEP_COLUMNS]
        rows.append(f'<tr data-key="{escape(s["performance_key"])}">{"".join(cells)}</tr>')
    table = f'<table id="flow-performance">{head}{"".join(rows)}</table>'
    return f'<div style="overflow-x:auto">{table}</div>'


def render(data: ReportData) -> str:
    as_of = f"{data.as_of:%Y-%m-%d %H:%M} UTC" if data.as_of else "—"
    missing = (
        f'<p class="muted">Not built yet: {escape(", ".join(data.missing))}.</p>'
        if data.missing
        else ""
    )
    funnels = (
        "".join(
            f'<div class="funnel"><h3>{escape(f["trigger_key"])}</h3>'
            f"{svg.funnel(f, 'funnel-' + f['trigger_key'])}</div>"
            for f in data.flows
        )
        or '<p class="muted">No send has been confirmed sent yet.</p>'
    )
    holdout = [r for r in data.lifts if r["comparison"] == "sent_vs_held_out"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Nudge — email performance</title>
<style>{STYLE}</style></head><body>
<h1>Email performance</h1>
<p class="muted">Warehouse as of {escape(as_of)}; generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC
from the marts in schemas contacts, segments and performance.</p>{missing}
<h2>RFM grid</h2>
<p>Contacts and their revenue (net of refunds) per recency &times; frequency score.</p>
{svg.rfm_heatmap(data.rfm_cells)}
<h2>Segments over time</h2>
{svg.segment_lines(data.segment_sizes)}
<h3>Movement between RFM segments</h3>
{svg.movement_matrix(data.rfm_moves)}
<h2>Flows against typical ranges</h2>
<p>Rates over delivered emails, all steps and variants; <span class="muted">typical</span>
ranges from seeds/flow_benchmarks.csv; a rate below its range is under par. A flow with
fewer delivered emails than the dbt var benchmark_min_delivered is not judged yet.</p>
{_benchmark_table(data.flows)}
<h2>Funnels</h2>
<div class="funnels">{funnels}</div>
<h2>Did it work? Lift over the holdout</h2>
<p>Conversion within 7 days of the due time, sent vs held-out contacts, with the 95%
confidence interval of the difference (grey: not significant at 5%).</p>
{svg.lift_forest(holdout)}
<h3>All comparisons (holdout and A/B variants)</h3>
{_lift_table(data.lifts)}
<h2>Per step and variant</h2>
{_steps_table(data.flow_steps)}
</body></html>
"""


def write_report(warehouse: str | Path, path: str | Path) -> Path:
    """Render the report from the warehouse's marts into ``path`` (an HTML file)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(read_report_data(warehouse)), encoding="utf-8")
    return target
