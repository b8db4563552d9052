"""The flow sections: each flow against its typical ranges, its funnel, the lift over the
holdout and the A/B comparisons, and every step and variant; with the two conversion
measures named as the marts name them."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from . import charts
from .cells import cell, integer, money, p_value, pct, points, rate, span, table
from .comparisons import note as comparison_note
from .comparisons import summarize

POSITION_NOTES = {"below": " ▼ under par", "too_few_sends": " (too few sends to judge)"}

SAMPLE_NOTES = {
    "too_few_units": "few units: under 100 in a group, read with care",
    "empty_arm": "a group is empty: nothing to compare",
    "too_few_delivered": "few delivered: under 100, rates move a point or more per email",
}

BENCHMARK_RATES = (
    ("open_rate_pct", "open_rate_low_pct", "open_rate_high_pct", "open_rate_position"),
    ("click_rate_pct", "click_rate_low_pct", "click_rate_high_pct", "click_rate_position"),
    (
        "conversion_rate_pct",
        "conversion_rate_low_pct",
        "conversion_rate_high_pct",
        "conversion_rate_position",
    ),
)


def benchmark_table(flows: Sequence[dict[str, Any]]) -> str:
    headers = [
        "flow",
        "family",
        "sends",
        "open rate",
        "typical",
        "click-through",
        "typical",
        "attributed conversion",
        "typical",
        "revenue",
    ]
    rows = []
    for f in flows:
        cells = [
            f"<td>{escape(f['trigger_key'])}</td>",
            f"<td>{escape(f['flow_label'] or '—')}</td>",
            cell(f["sends"], integer(f["sends"]), column="sends"),
        ]
        for column, low, high, position in BENCHMARK_RATES:
            flag = f[position] or ""
            shown = pct(f[column]) + POSITION_NOTES.get(flag, "")
            cells.append(cell(f[column], shown, flag, column))
            cells.append(f'<td class="muted">{span(f[low], f[high])}</td>')
        cells.append(cell(f["revenue"], money(f["revenue"]), column="revenue"))
        rows.append((str(f["trigger_key"]), "".join(cells)))
    return table("flow-benchmarks", "flow_benchmark_comparison", headers, rows)


def sample_cell(warning: str | None) -> str:
    """The row's sample_warning, in words; empty when the sample is large enough."""
    shown = SAMPLE_NOTES.get(warning, warning) if warning else "ok"
    return cell(warning, shown, "few text" if warning else "text", "sample_warning")


LIFT_COLUMNS = (
    ("control_units", "control n", integer),
    ("control_rate", "control rate", rate),
    ("treatment_units", "treatment n", integer),
    ("treatment_rate", "treatment rate", rate),
    ("absolute_lift", "lift (points)", points),
    ("relative_lift", "relative lift", rate),
    ("ci_low", "95% CI low", points),
    ("ci_high", "95% CI high", points),
    ("p_value", "p-value", p_value),
)


def lift_table(lifts: Sequence[dict[str, Any]], holm: frozenset[str]) -> str:
    headers = ["flow", "comparison", "success counted", *(label for _, label, _ in LIFT_COLUMNS)]
    headers += ["significant (interval excludes 0)", "sample"]
    rows = []
    for r in lifts:
        warning = r["sample_warning"]
        cells = [
            f"<td>{escape(r['trigger_key'])}</td>",
            f"<td>{escape(r['comparison'].replace('_', ' '))}</td>",
            cell(r["success_definition"], r["success_definition"] or "—", "", "success_definition"),
        ]
        cells += [
            cell(r[column], show(r[column]), "few" if warning else "", column)
            for column, _, show in LIFT_COLUMNS
        ]
        verdict = "no"
        if r["is_significant"]:
            verdict = "yes ✓✓" if r["result_key"] in holm else "yes"
        cells.append(cell(r["is_significant"], verdict, column="is_significant"))
        cells.append(sample_cell(warning))
        rows.append((str(r["result_key"]), "".join(cells)))
    return table("lift-table", "experiment_results", headers, rows)


STEP_COLUMNS = (
    ("sends", integer),
    ("delivered", integer),
    ("opens", integer),
    ("clicks", integer),
    ("conversions", integer),
    ("revenue", money),
    ("open_rate", rate),
    ("click_through_rate", rate),
    ("conversion_rate", rate),
    ("revenue_per_email", money),
    ("unsubscribe_rate", rate),
    ("complaint_rate", rate),
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
STEP_LABELS = {"conversions": "attributed orders", "conversion_rate": "attributed conversion rate"}


def steps_table(steps: Sequence[dict[str, Any]]) -> str:
    headers = ["flow", "step", "variant"]
    headers += [STEP_LABELS.get(c, c.replace("_", " ")) for c, _ in STEP_COLUMNS] + ["sample"]
    rows = []
    for s in steps:
        warning = s["sample_warning"]
        cells = [f"<td>{escape(s['trigger_key'])}</td>", f"<td>{s['step']}</td>"]
        cells.append(f"<td>{escape(s['variant'])}</td>")
        cells += [
            cell(s[c], show(s[c]), "few" if warning and c in STEP_RATES else "", c)
            for c, show in STEP_COLUMNS
        ]
        cells.append(sample_cell(warning))
        rows.append((str(s["performance_key"]), "".join(cells)))
    return table("flow-performance", "flow_performance", headers, rows)


def holdout_definition(holdout: Sequence[dict[str, Any]]) -> str:
    named = {r["success_definition"] for r in holdout if r["success_definition"]}
    return " / ".join(sorted(named)) or "an order in the experiment's window"


def definitions(flows: Sequence[dict[str, Any]], lifts: Sequence[dict[str, Any]]) -> str:
    """The two conversion measures, named as the marts name them."""
    attributed = sorted({str(f["conversion_definition"]) for f in flows})
    in_window = sorted({str(r["success_definition"]) for r in lifts if r["metric"] == "conversion"})
    if not attributed and not in_window:
        return ""
    items = "".join(
        f"<dt>{escape(term)}</dt><dd>{escape(text)}</dd>"
        for term, texts in (
            ("Attributed conversions (KPIs, funnels, flow tables)", attributed),
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


def funnel(flow: dict[str, Any], holdout: Sequence[dict[str, Any]]) -> str:
    """One flow's funnel of attributed orders, with the same flow's in-window conversion
    from the lift table beside it, each under its own name."""
    key = str(flow["trigger_key"])
    lines = [f"Last stage, {flow['conversion_definition']}."]
    for r in holdout:
        if r["trigger_key"] == key and r["treatment_units"]:
            lines.append(
                f"Lift table, sent group: {int(r['treatment_successes']):,} of "
                f"{int(r['treatment_units']):,} ({rate(r['treatment_rate'])}) had "
                f"{r['success_definition']}."
            )
    if "too_few_sends" in (flow["open_rate_position"], flow["conversion_rate_position"]):
        lines.append(SAMPLE_NOTES["too_few_delivered"].capitalize() + ".")
    captions = "".join(f"<p>{escape(line)}</p>" for line in lines)
    return (
        f'<div class="funnel" data-trigger="{escape(key)}"><h3>{escape(key)}</h3>'
        f"{charts.funnel(flow, 'funnel-' + key)}{captions}</div>"
    )


def section(
    flows: Sequence[dict[str, Any]],
    lifts: Sequence[dict[str, Any]],
    steps: Sequence[dict[str, Any]],
) -> str:
    holdout = [r for r in lifts if r["comparison"] == "sent_vs_held_out"]
    funnels = "".join(funnel(f, holdout) for f in flows) or (
        '<p class="muted">No send has been confirmed sent yet.</p>'
    )
    summary = summarize(lifts)
    return f"""{definitions(flows, lifts)}
<h2>Flows against typical ranges</h2>
<p>Rates over delivered emails, all steps and variants; <span class="muted">typical</span>
ranges from seeds/flow_benchmarks.csv; a rate below its range is under par. A flow with
fewer delivered emails than the dbt var benchmark_min_delivered is not judged yet.</p>
{benchmark_table(flows)}
<h2>Funnels</h2>
<div class="funnels">{funnels}</div>
<h2>Did it work? Lift over the holdout</h2>
<p>Sent vs held-out contacts, each counted as a success when they had
{escape(holdout_definition(holdout))}: a held-out contact gets no email, so no order of
theirs can be attributed to one, and the lift compares orders in the window instead. With
the 95% interval of the difference (grey: the interval includes 0, not significant).</p>
{charts.lift_forest(holdout)}
<h3>All comparisons (holdout, A/B variants, send-time optimization)</h3>
<p>One method per comparison (docs/measurement.md): the interval is the score interval
that inverts the score test whose p-value is shown, so "significant" means both "the 95%
interval excludes 0" and "p &lt; 0.05"; they cannot disagree. Groups under 100 units are
flagged: their rates move a point or more per unit and the interval is wide.</p>
{lift_table(lifts, summary.holm_significant)}
<p id="multiple-comparisons">{escape(comparison_note(summary))}</p>
<h2>Per step and variant</h2>
{steps_table(steps)}
"""
