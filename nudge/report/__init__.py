"""The measurement report: one static HTML file (inline SVG charts, no script, no network)
built from the marts: the RFM grid, segment sizes over time and RFM movement, each flow's
funnel, holdout lift with its interval, and each flow's rates beside its typical range.

    path = write_report("warehouse/nudge.duckdb", "warehouse/report.html")
"""

from .page import write_report

__all__ = ["write_report"]
