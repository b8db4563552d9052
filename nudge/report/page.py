"""The report page, one self-contained HTML file: the KPIs and trends of the period picked,
the RFM grid and segments over time, who the emails work for, and the flows. Every number
shown comes from a mart row and carries the mart's value verbatim (nudge/report/cells.py)
so a test can check the page against the marts; every chart is static SVG
(nudge/report/charts.py); the only script switches the period."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from pathlib import Path

from . import audiences, charts, flows, kpis
from .data import ReportData, read_report_data

STYLE = """
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#1a202c}
h1{margin-bottom:0}h2{margin-top:36px;border-bottom:1px solid #e2e8f0;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{border:1px solid #e2e8f0;padding:4px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}
td.below{background:#fed7d7;color:#822727;font-weight:600}td.too_few_sends{color:#718096}td.above{background:#c6f6d5}
.muted{color:#718096}.funnels{display:flex;flex-wrap:wrap;gap:12px 32px}.scroll{overflow-x:auto}
.funnel h3{margin:8px 0 2px;font-size:14px}.funnel p{margin:2px 0;font-size:12px;max-width:520px}
td.few{color:#975a16;font-style:italic}td.text{text-align:left;min-width:150px}
.definitions dt{font-weight:600}.definitions dd{margin:0 0 6px 16px}
figure.chart{margin:8px 0}figure.chart svg{max-width:100%;height:auto}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:12px;margin:12px 0}
.kpi{border:1px solid #e2e8f0;border-radius:6px;padding:10px 12px}
.kpi .label{font-size:12px;color:#4a5568}.kpi .figure{font-size:24px;font-weight:600;margin:2px 0}
.kpi .change,.kpi .previous{font-size:12px;color:#4a5568;display:block}
.selector{position:sticky;top:0;background:#fff;padding:8px 0;z-index:1}
.selector select{font-size:15px;padding:2px 6px}
"""


def segments_section(data: ReportData) -> str:
    runs = data.segment_runs
    recorded = {0: "no run", 1: "one run"}.get(runs, f"{runs:,} runs")
    if data.rfm_moves:
        moves = charts.movement(data.rfm_moves)
    elif runs <= 1:
        moves = charts.empty(
            "rfm-movement", f"Only {recorded} recorded so far: moves show from the second run on."
        )
    else:
        moves = charts.empty(
            "rfm-movement", f"No contact has moved between RFM segments in the {recorded} recorded."
        )
    return f"""<h2>RFM grid</h2>
<p>Contacts and their revenue (net of refunds) per recency &times; frequency score.</p>
{charts.rfm_heatmap(data.rfm_cells)}
<h2>Segments over time</h2>
<p>Members of the {len(data.segment_sizes)} largest segments after each run that recorded
segment changes ({escape(recorded)} so far); a segment that did not change at a run keeps
its size there.</p>
{charts.segment_sizes(data.segment_sizes)}
<h3>Movement between RFM segments</h3>
{moves}"""


def render(data: ReportData) -> str:
    as_of = f"{data.as_of:%Y-%m-%d %H:%M} UTC" if data.as_of else "—"
    missing = (
        f'<p class="muted">Not built yet: {escape(", ".join(data.missing))}.</p>'
        if data.missing
        else ""
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Nudge — email performance</title>
<style>{STYLE}</style></head><body>
<h1>Email performance</h1>
<p class="muted">Warehouse as of {escape(as_of)}; generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC
from the marts in schemas contacts, segments and performance.</p>{missing}
{kpis.section(data.kpis)}
{segments_section(data)}
{audiences.section(data.audiences, data.lifetime_values, data.stage_values)}
{flows.section(data.flows, data.lifts, data.flow_steps)}
</body></html>
"""


def write_report(warehouse: str | Path, path: str | Path) -> Path:
    """Render the report from the warehouse's marts into ``path`` (an HTML file)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(read_report_data(warehouse)), encoding="utf-8")
    return target
