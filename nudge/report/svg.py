"""Inline SVG charts, written out by hand: no JavaScript, no library, nothing fetched."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any

FONT = 'font-family="system-ui, sans-serif" font-size="12"'
PALETTE = ("#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b83280", "#2c7a7b", "#975a16", "#4a5568")


def _svg(chart_id: str, width: int, height: int, body: str, title: str) -> str:
    return (
        f'<svg id="{escape(chart_id)}" xmlns="http://www.w3.org/2000/svg" role="img"'
        f' viewBox="0 0 {width} {height}" width="{width}" height="{height}" {FONT}>'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {extra}>{escape(text)}</text>'


def _blue(share: float) -> str:
    """White to dark blue by share in [0, 1]."""
    share = max(0.0, min(1.0, share))
    r, g, b = (int(255 - (255 - c) * share) for c in (43, 108, 176))
    return f"rgb({r},{g},{b})"


def rfm_heatmap(cells: Sequence[dict[str, Any]], chart_id: str = "rfm-heatmap") -> str:
    """R (rows, 5 on top) by F (columns): contacts and revenue per cell, shaded by contacts."""
    size, left, top = 96, 60, 30
    by_cell = {(int(c["r_score"]), int(c["f_score"])): c for c in cells}
    most = max((int(c["contacts"]) for c in cells), default=0) or 1
    parts = [_text(left + 2.5 * size, 18, "Frequency score (F) →", "middle")]
    for f in range(1, 6):
        parts.append(_text(left + (f - 0.5) * size, top + 5 * size + 18, f"F{f}", "middle"))
    for row, r in enumerate(range(5, 0, -1)):
        y = top + row * size
        parts.append(_text(left - 10, y + size / 2, f"R{r}", "end"))
        for f in range(1, 6):
            x = left + (f - 1) * size
            cell = by_cell.get((r, f))
            contacts = int(cell["contacts"]) if cell else 0
            revenue = float(cell["revenue"] or 0) if cell else 0.0
            share = contacts / most
            ink = 'fill="#fff"' if share > 0.55 else 'fill="#1a202c"'
            parts.append(
                f'<rect class="cell" data-r="{r}" data-f="{f}" data-contacts="{contacts}"'
                f' data-revenue="{revenue:.2f}" x="{x}" y="{y}" width="{size - 2}"'
                f' height="{size - 2}" fill="{_blue(share)}" stroke="#cbd5e0"/>'
            )
            parts.append(_text(x + size / 2, y + size / 2 - 4, f"{contacts:,}", "middle", ink))
            parts.append(_text(x + size / 2, y + size / 2 + 14, f"${revenue:,.0f}", "middle", ink))
    parts.append(
        _text(
            14,
            top + 2.5 * size,
            "Recency score (R)",
            "middle",
            f'transform="rotate(-90 14 {top + 2.5 * size:.0f})"',
        )
    )
    return _svg(chart_id, left + 5 * size + 10, top + 5 * size + 30, "".join(parts), "RFM grid")


def segment_lines(
    sizes: dict[str, list[tuple[datetime, int]]], chart_id: str = "segment-sizes"
) -> str:
    """Members per segment after each recorded run."""
    width, height, left, right, top, bottom = 760, 300, 50, 200, 20, 40
    moments = sorted({at for series in sizes.values() for at, _ in series})
    peak = max((n for series in sizes.values() for _, n in series), default=0) or 1
    span = max(len(moments) - 1, 1)
    plot_w, plot_h = width - left - right, height - top - bottom

    def x_of(at: datetime) -> float:
        return left + (moments.index(at) / span if len(moments) > 1 else 0.5) * plot_w

    def y_of(n: int) -> float:
        return top + plot_h * (1 - n / peak)

    parts = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}"'
        ' stroke="#a0aec0"/>',
        _text(left - 6, top + 4, f"{peak:,}", "end"),
        _text(left - 6, top + plot_h, "0", "end"),
    ]
    for at in moments:
        parts.append(_text(x_of(at), height - 16, f"{at:%Y-%m-%d}", "middle"))
    for index, (segment, series) in enumerate(sizes.items()):
        color = PALETTE[index % len(PALETTE)]
        points = " ".join(f"{x_of(at):.1f},{y_of(n):.1f}" for at, n in series)
        parts.append(
            f'<polyline class="segment-line" data-segment="{escape(segment)}" points="{points}"'
            f' fill="none" stroke="{color}" stroke-width="2"/>'
        )
        for at, n in series:
            parts.append(f'<circle cx="{x_of(at):.1f}" cy="{y_of(n):.1f}" r="3" fill="{color}"/>')
        y = top + 16 * index + 8
        parts.append(
            f'<rect x="{width - right + 16}" y="{y - 9}" width="10" height="10" fill="{color}"/>'
        )
        parts.append(_text(width - right + 32, y, f"{segment} ({series[-1][1]:,})"))
    return _svg(chart_id, width, height, "".join(parts), "Segment sizes over time")


def movement_matrix(moves: Sequence[dict[str, Any]], chart_id: str = "rfm-movement") -> str:
    """Contacts moving from one RFM segment (row) to another (column) in the same run."""
    if not moves:
        body = _text(10, 30, "No contact has moved between RFM segments yet (one run so far).")
        return _svg(chart_id, 620, 50, body, "Movement between RFM segments")
    names = sorted({m["from_segment"] for m in moves} | {m["to_segment"] for m in moves})
    size, left, top = 44, 190, 100
    most = max(int(m["contacts"]) for m in moves) or 1
    counts = {(m["from_segment"], m["to_segment"]): int(m["contacts"]) for m in moves}
    parts = []
    for i, name in enumerate(names):
        label = name.removeprefix("rfm_")
        parts.append(_text(left - 8, top + i * size + size / 2 + 4, label, "end"))
        x = left + i * size + size / 2
        parts.append(
            _text(x, top - 8, label, "start", f'transform="rotate(-45 {x:.0f} {top - 8})"')
        )
        for j, target in enumerate(names):
            n = counts.get((name, target), 0)
            parts.append(
                f'<rect class="move" data-from="{escape(name)}" data-to="{escape(target)}"'
                f' data-contacts="{n}" x="{left + j * size}" y="{top + i * size}"'
                f' width="{size - 2}" height="{size - 2}" fill="{_blue(n / most)}"'
                ' stroke="#e2e8f0"/>'
            )
            if n:
                ink = 'fill="#fff"' if n / most > 0.55 else ""
                parts.append(
                    _text(
                        left + j * size + size / 2,
                        top + i * size + size / 2 + 4,
                        str(n),
                        "middle",
                        ink,
                    )
                )
    width = left + len(names) * size + 20
    height = top + len(names) * size + 20
    return _svg(chart_id, width, height, "".join(parts), "Movement between RFM segments")


FUNNEL_STAGES = (
    ("sends", "sent"),
    ("opens", "opened"),
    ("clicks", "clicked"),
    ("conversions", "attributed orders"),
)


def funnel(flow: dict[str, Any], chart_id: str) -> str:
    """sent → opened → clicked → converted for one flow (flow_benchmark_comparison row)."""
    width, left, bar_h = 520, 120, 22
    top = 8
    most = int(flow["sends"] or 0) or 1
    parts = []
    for index, (column, label) in enumerate(FUNNEL_STAGES):
        value = int(flow[column] or 0)
        y = top + index * (bar_h + 6)
        w = (width - left - 80) * value / most
        parts.append(_text(left - 8, y + bar_h - 6, label, "end"))
        parts.append(
            f'<rect class="stage" data-stage="{column}" data-value="{value}" x="{left}" y="{y}"'
            f' width="{w:.1f}" height="{bar_h}" fill="{PALETTE[index]}"/>'
        )
        parts.append(_text(left + w + 6, y + bar_h - 6, f"{value:,}"))
    height = top + len(FUNNEL_STAGES) * (bar_h + 6) + 4
    return _svg(chart_id, width, height, "".join(parts), f"Funnel of {flow['trigger_key']}")


def lift_forest(lifts: Sequence[dict[str, Any]], chart_id: str = "lift-chart") -> str:
    """Absolute lift (points) with its 95% interval per trigger; the line at 0 is no effect."""
    rows = [r for r in lifts if r["ci_low"] is not None and r["ci_high"] is not None]
    if not rows:
        body = _text(10, 30, "No experiment has both a sent and a held-out group yet.")
        return _svg(chart_id, 620, 50, body, "Lift")
    width, left, right, row_h, top = 760, 200, 40, 28, 30
    low = min(min(float(r["ci_low"]) for r in rows), 0.0)
    high = max(max(float(r["ci_high"]) for r in rows), 0.0)
    pad = (high - low) * 0.05 or 0.01
    low, high = low - pad, high + pad
    plot_w = width - left - right

    def x_of(value: float) -> float:
        return left + (value - low) / (high - low) * plot_w

    bottom = top + len(rows) * row_h
    parts = [
        f'<line x1="{x_of(0):.1f}" y1="{top - 10}" x2="{x_of(0):.1f}" y2="{bottom}"'
        ' stroke="#718096" stroke-dasharray="4 3"/>',
        _text(x_of(0), top - 14, "0", "middle"),
        _text(left, bottom + 18, f"{100 * low:+.1f} pts"),
        _text(left + plot_w, bottom + 18, f"{100 * high:+.1f} pts", "end"),
    ]
    for index, r in enumerate(rows):
        y = top + index * row_h + row_h / 2
        label = str(r["trigger_key"]) + (" (few units)" if r.get("sample_warning") else "")
        color = PALETTE[0] if r["is_significant"] else "#a0aec0"
        lift = float(r["absolute_lift"])
        parts.append(_text(left - 8, y + 4, label, "end"))
        parts.append(
            f'<line class="interval" data-trigger="{escape(r["trigger_key"])}"'
            f' x1="{x_of(float(r["ci_low"])):.1f}" y1="{y:.1f}"'
            f' x2="{x_of(float(r["ci_high"])):.1f}" y2="{y:.1f}"'
            f' stroke="{color}" stroke-width="3"/>'
        )
        parts.append(
            f'<circle class="lift" cx="{x_of(lift):.1f}" cy="{y:.1f}" r="5" fill="{color}"/>'
        )
    return _svg(chart_id, width, bottom + 26, "".join(parts), "Lift with 95% interval")
