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
from .comparisons import note as comparison_note
from .comparisons import summarize
from .data import ReportData, read_report_data

STYLE = """
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#1a202c}
h1{margin-bottom:0}h2{margin-top:36px;border-bottom:1px solid #e2e8f0;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{border:1px solid #e2e8f0;padding:4px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}
td.below{background:#fed7d7;color:#822727;font-weight:600}td.too_few_sends{color:#718096}td.above{background:#c6f6d5}
.muted{color:#718096}.funnels{display:flex;flex-wrap:wrap;gap:12px 32px}
.funnel h3{margin:8px 0 2px;font-size:14px}.funnel p{margin:2px 0;font-size:12px;max-width:520px}
td.few{color:#975a16;font-style:italic}td.text{text-align:left;min-width:150px}
.definitions dt{font-weight:600}.definitions dd{margin:0 0 6px 16px}
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
        "<th>click-through</th><th>typical</th><th>attributed conversion</th><th>typical</th>"
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


SAMPLE_NOTES = {
    "too_few_units": "few units: under 100 in a group, read with care",
    "empty_arm": "a group is empty: nothing to compare",
    "too_few_delivered": "few delivered: under 100, rates move a point or more per email",
}


def _sample_cell(warning: str | None) -> str:
    """The row's sample_warning, in words; empty when the sample is large enough."""
    shown = SAMPLE_NOTES.get(warning, warning) if warning else "ok"
    return _cell(warning, shown, "few text" if warning else "text", "sample_warning")


def _p(value: float) -> str:
    return "< 0.0001" if value < 0.0001 else f"{value:.4f}"


def _points(value: Any) -> str:
    return "—" if value is None else f"{100 * float(value):+.2f}"


LIFT_COLUMNS = (
    ("control_units", "control n", _int),
    ("control_rate", "control rate", lambda v: _pct(v, 100)),
    ("treatment_units", "treatment n", _int),
    ("treatment_rate", "treatment rate", lambda v: _pct(v, 100)),
    ("absolute_lift", "lift (points)", _points),
    ("relative_lift", "relative lift", lambda v: _pct(v, 100)),
    ("ci_low", "95% CI low", _points),
    ("ci_high", "95% CI high", _points),
    ("p_value", "p-value", lambda v: "—" if v is None else _p(float(v))),
)


def _lift_table(lifts: Sequence[dict[str, Any]], holm: frozenset[str]) -> str:
    head = (
        "<tr><th>flow</th><th>comparison</th><th>success counted</th>"
        + "".join(f"<th>{escape(label)}</th>" for _, label, _ in LIFT_COLUMNS)
        + "<th>significant (interval excludes 0)</th><th>sample</th></tr>"
    )
    rows = []
    for r in lifts:
        warning = r["sample_warning"]
        cells = [
            f"<td>{escape(r['trigger_key'])}</td>",
            f"<td>{escape(r['comparison'].replace('_', ' '))}</td>",
            _cell(
                r["success_definition"], r["success_definition"] or "—", "", "success_definition"
            ),
        ]
        cells += [
            _cell(r[column], show(r[column]), "few" if warning else "", column)
            for column, _, show in LIFT_COLUMNS
        ]
        verdict = "no"
        if r["is_significant"]:
            verdict = "yes ✓✓" if r["result_key"] in holm else "yes"
        cells.append(_cell(r["is_significant"], verdict, column="is_significant"))
        cells.append(_sample_cell(warning))
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
STEP_RATES = {
    "open_rate",
    "click_through_rate",
    "conversion_rate",
    "revenue_per_email",
    "unsubscribe_rate",
    "complaint_rate",
}


STEP_LABELS = {
    "conversions": "attributed orders",
    "conversion_rate": "attributed conversion rate",
}


def _steps_table(steps: Sequence[dict[str, Any]]) -> str:
    head = (
        "<tr><th>flow</th><th>step</th><th>variant</th>"
        + "".join(
            f"<th>{escape(STEP_LABELS.get(c, c.replace('_', ' ')))}</th>" for c, _ in STEP_COLUMNS
        )
        + "<th>sample</th></tr>"
    )
    rows = []
    for s in steps:
        cells = [f"<td>{escape(s['trigger_key'])}</td>", f"<td>{s['step']}</td>"]
        cells.append(f"<td>{escape(s['variant'])}</td>")
        warning = s["sample_warning"]
        cells += [
            _cell(
                s[column],
                show(s[column]),
                "few" if warning and column in STEP_RATES else "",
                column,
            )
            for column, show in STEP_COLUMNS
        ]
        cells.append(_sample_cell(warning))
        rows.append(f'<tr data-key="{escape(s["performance_key"])}">{"".join(cells)}</tr>')
    table = f'<table id="flow-performance">{head}{"".join(rows)}</table>'
    return f'<div style="overflow-x:auto">{table}</div>'


def _holdout_definition(holdout: Sequence[dict[str, Any]]) -> str:
    named = {r["success_definition"] for r in holdout if r["success_definition"]}
    return " / ".join(sorted(named)) or "an order in the experiment's window"


def _definitions(data: ReportData) -> str:
    """The two conversion measures, named as the marts name them."""
    attributed = sorted({str(f["conversion_definition"]) for f in data.flows})
    in_window = sorted(
        {str(r["success_definition"]) for r in data.lifts if r["metric"] == "conversion"}
    )
    if not attributed and not in_window:
        return ""
    items = "".join(
        f"<dt>{escape(term)}</dt><dd>{escape(text)}</dd>"
        for term, texts in (
            ("Attributed conversions (funnels, flow tables)", attributed),
            ("Conversions in the window (lift tables)", in_window),
        )
        for text in texts
    )
    return (
        '<h2>Two ways to count a conversion</h2><dl class="definitions" id="definitions">'
        f'{items}</dl><p class="muted">The two numbers differ by design: an order is '
        "attributed only when it follows an opened or clicked email, while the lift counts "
        "any order in its window, emailed or not.</p>"
    )


def _funnel(flow: dict[str, Any], holdout: Sequence[dict[str, Any]]) -> str:
    """One flow's funnel of attributed orders, with the same flow's in-window conversion
    from the lift table beside it, each under its own name."""
    key = str(flow["trigger_key"])
    lines = [f"Last stage, {flow['conversion_definition']}."]
    for r in holdout:
        if r["trigger_key"] == key and r["treatment_units"]:
            lines.append(
                f"Lift table, sent group: {int(r['treatment_successes']):,} of "
                f"{int(r['treatment_units']):,} ({_pct(r['treatment_rate'], 100)}) had "
                f"{r['success_definition']}."
            )
    if "too_few_sends" in (flow["open_rate_position"], flow["conversion_rate_position"]):
        lines.append(SAMPLE_NOTES["too_few_delivered"].capitalize() + ".")
    captions = "".join(f"<p>{escape(line)}</p>" for line in lines)
    return (
        f'<div class="funnel" data-trigger="{escape(key)}"><h3>{escape(key)}</h3>'
        f"{svg.funnel(flow, 'funnel-' + key)}{captions}</div>"
    )


def render(data: ReportData) -> str:
    as_of = f"{data.as_of:%Y-%m-%d %H:%M} UTC" if data.as_of else "—"
    missing = (
        f'<p class="muted">Not built yet: {escape(", ".join(data.missing))}.</p>'
        if data.missing
        else ""
    )
    holdout = [r for r in data.lifts if r["comparison"] == "sent_vs_held_out"]
    funnels = "".join(_funnel(f, holdout) for f in data.flows) or (
        '<p class="muted">No send has been confirmed sent yet.</p>'
    )
    summary = summarize(data.lifts)
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
{_definitions(data)}
<h2>Flows against typical ranges</h2>
<p>Rates over delivered emails, all steps and variants; <span class="muted">typical</span>
ranges from seeds/flow_benchmarks.csv; a rate below its range is under par. A flow with
fewer delivered emails than the dbt var benchmark_min_delivered is not judged yet.</p>
{_benchmark_table(data.flows)}
<h2>Funnels</h2>
<div class="funnels">{funnels}</div>
<h2>Did it work? Lift over the holdout</h2>
<p>Sent vs held-out contacts, each counted as a success when they had
{escape(_holdout_definition(holdout))}: a held-out contact gets no email, so no order of
theirs can be attributed to one, and the lift compares orders in the window instead. With
the 95% interval of the difference (grey: the interval includes 0, not significant).</p>
{svg.lift_forest(holdout)}
<h3>All comparisons (holdout and A/B variants)</h3>
<p>One method per comparison (docs/measurement.md): the interval is the score interval
that inverts the score test whose p-value is shown, so "significant" means both "the 95%
interval excludes 0" and "p &lt; 0.05"; they cannot disagree. Groups under 100 units are
flagged: their rates move a point or more per unit and the interval is wide.</p>
{_lift_table(data.lifts, summary.holm_significant)}
<p id="multiple-comparisons">{escape(comparison_note(summary))}</p>
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
