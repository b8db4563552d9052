"""The measurement report: one self-contained HTML file (static SVG charts from Vega-Lite,
nothing fetched; the only script switches the period) built from the marts: the KPIs of
the last 7 days, 4 weeks or 13 weeks against the period before, with their trends by day
or week; the RFM grid, segment sizes over time and RFM movement; performance and lifetime
value per segment and lifecycle stage; each flow's funnel, holdout lift with its interval,
and each flow's rates beside its typical range.

    path = write_report("warehouse/nudge.duckdb", "warehouse/report.html")
"""

from .page import write_report

__all__ = ["write_report"]
