"""The measurement report in a real browser: Debian's Chromium (driven by playwright, as in
tests/test_dagster_ui.py) renders the HTML the demo writes; every chart is there as an SVG
with its id and its marks, a screenshot is saved, and each number in the report's tables
is the value of its mart row. (tests/test_measurement_known_truth.py checks the same
equality on marts built by dbt.)"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import pytest

from nudge.report import write_report

CHROMIUM = Path("/usr/bin/chromium")
AS_OF = datetime(2026, 11, 30)
T1, T2 = datetime(2026, 11, 29), datetime(2026, 11, 30)
ATTRIBUTED = "attributed order: within 5 days after opening or clicking the email"
IN_WINDOW = "any order within 7 days after the due time"
CLICK = "a click on any email of the series"
ROW_KEYS = {
    "flow-benchmarks": "data-trigger",
    "lift-table": "data-result",
    "flow-performance": "data-key",
}
MART_KEYS = {
    "flow-benchmarks": ("flow_benchmark_comparison", "trigger_key"),
    "lift-table": ("experiment_results", "result_key"),
    "flow-performance": ("flow_performance", "performance_key"),
}


class _Cells(HTMLParser):
    """(table id, row key, column) -> data-value of every table cell that carries one."""

    def __init__(self) -> None:
        super().__init__()
        self.table: str | None = None
        self.row: str | None = None
        self.values: dict[tuple[str, str, str], str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table":
            self.table = found.get("id")
        elif tag == "tr" and self.table in ROW_KEYS:
            self.row = found.get(ROW_KEYS[self.table])
        elif tag == "td" and self.table and self.row and "data-value" in found:
            column = str(found.get("data-column"))
            self.values[(self.table, self.row, column)] = str(found["data-value"])


def report_values(html: str) -> dict[tuple[str, str, str], str]:
    parser = _Cells()
    parser.feed(html)
    return parser.values


def assert_report_matches_marts(html: str, warehouse: Path) -> int:
    """Every number in the report's tables equals its mart's value; returns how many."""
    values = report_values(html)
    checked = 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table_id, (mart, key) in MART_KEYS.items():
            cursor = con.execute(f"select * from performance.{mart}")
            names = [d[0] for d in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            shown = {k for k in values if k[0] == table_id}
            assert {k[1] for k in shown} == {str(r[key]) for r in rows}, table_id
            for row in rows:
                for _, row_key, column in [k for k in shown if k[1] == str(row[key])]:
                    value = row[column]
                    expected = "" if value is None else str(value)
                    assert values[(table_id, row_key, column)] == expected, (row_key, column)
                    checked += 1
    return checked


def _table(con: duckdb.DuckDBPyConnection, name: str, rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    con.execute(
        f"create table {name} as select * from (values "
        + ", ".join("(" + ", ".join("?" for _ in columns) + ")" for _ in rows)
        + f") as t({', '.join(columns)})",
        [row[c] for row in rows for c in columns],
    )


def _flow_step(trigger: str, step: int, variant: str, sends: int, opens: int) -> dict[str, Any]:
    delivered = sends - 1
    return {
        "performance_key": f"{trigger}|{step}|{variant}",
        "trigger_key": trigger,
        "step": step,
        "variant": variant,
        "sends": sends,
        "delivered": delivered,
        "bounces": 1,
        "opens": opens,
        "clicks": opens // 3,
        "conversions": opens // 6,
        "conversion_definition": ATTRIBUTED,
        "revenue": Decimal("123.45"),
        "unsubscribes": 0,
        "spam_complaints": 0,
        "open_rate": Decimal(opens) / delivered,
        "click_through_rate": Decimal(opens // 3) / delivered,
        "click_to_open_rate": None,
        "conversion_rate": Decimal(opens // 6) / delivered,
        "revenue_per_email": Decimal("1.23"),
        "unsubscribe_rate": Decimal(0),
        "complaint_rate": Decimal(0),
        "median_minutes_to_conversion": Decimal("95.5"),
        "sample_warning": "too_few_delivered" if delivered < 100 else None,
        "as_of": AS_OF,
    }


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A warehouse holding the marts the report reads (hand-made rows, mart columns)."""
    folder = tmp_path_factory.mktemp("report")
    warehouse = folder / "nudge.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        for schema in ("contacts", "segments", "performance"):
            con.execute(f"create schema {schema}")
        _table(
            con,
            "contacts.contact_rfm",
            [
                {
                    "contact_id": f"c{i}",
                    "r_score": 1 + i % 5,
                    "f_score": 1 + i % 3,
                    "monetary": Decimal(10 * i),
                }
                for i in range(40)
            ],
        )
        transitions = [
            {
                "segment_key": "rfm_champions",
                "contact_id": f"c{i}",
                "transition": "entered",
                "transitioned_at": T1,
            }
            for i in range(10)
        ]
        transitions += [
            {
                "segment_key": "rfm_champions",
                "contact_id": f"c{i}",
                "transition": "exited",
                "transitioned_at": T2,
            }
            for i in range(3)
        ]
        transitions += [
            {
                "segment_key": "rfm_at_risk",
                "contact_id": f"c{i}",
                "transition": "entered",
                "transitioned_at": T2,
            }
            for i in range(3)
        ]
        _table(con, "segments.segment_transitions", transitions)
        steps = [
            _flow_step("welcome", 1, "A", 400, 260),
            _flow_step("welcome", 1, "B", 380, 250),
            _flow_step("winback", 1, "A", 300, 40),
            _flow_step("winback", 2, "A", 50, 10),
        ]
        _table(con, "performance.flow_performance", steps)
        benchmarks = []
        for trigger, opens_pct, position in (
            ("welcome", 65.5, "within"),
            ("winback", 13.4, "below"),
        ):
            benchmarks.append(
                {
                    "trigger_key": trigger,
                    "flow_family": "f",
                    "flow_label": f"{trigger} family",
                    "conversion_measure": "conversion",
                    "sends": 700,
                    "delivered": 690,
                    "opens": 300,
                    "clicks": 90,
                    "conversions": 20,
                    "conversion_definition": ATTRIBUTED,
                    "revenue": Decimal("999.10"),
                    "open_rate_pct": Decimal(str(opens_pct)),
                    "click_rate_pct": Decimal("13.04"),
                    "conversion_rate_pct": Decimal("2.90"),
                    "open_rate_low_pct": Decimal(20),
                    "open_rate_high_pct": Decimal(80),
                    "click_rate_low_pct": Decimal(5),
                    "click_rate_high_pct": Decimal(30),
                    "conversion_rate_low_pct": Decimal(3),
                    "conversion_rate_high_pct": Decimal(15),
                    "open_rate_position": position,
                    "click_rate_position": "within",
                    "conversion_rate_position": "below",
                    "as_of": AS_OF,
                }
            )
        _table(con, "performance.flow_benchmark_comparison", benchmarks)
        lifts = []
        for trigger, comparison, metric, lift, low, high, p, significant, units in (
            (
                "welcome",
                "sent_vs_held_out",
                "conversion",
                "0.061",
                "0.032",
                "0.090",
                "0.000042",
                True,
                1500,
            ),
            (
                "winback",
                "sent_vs_held_out",
                "conversion",
                "0.004",
                "-0.020",
                "0.028",
                "0.741",
                False,
                1500,
            ),
            (
                "welcome",
                "variant_b_vs_a",
                "click",
                "0.150",
                "0.110",
                "0.190",
                "0.000001",
                True,
                1500,
            ),
            # significant at 5% but not after Holm's correction for 4 comparisons, and small
            (
                "welcome",
                "variant_b_vs_a",
                "conversion",
                "0.300",
                "0.010",
                "0.560",
                "0.0400",
                True,
                40,
            ),
        ):
            lifts.append(
                {
                    "result_key": f"{trigger}|{comparison}|{metric}",
                    "trigger_key": trigger,
                    "comparison": comparison,
                    "metric": metric,
                    "success_definition": CLICK if metric == "click" else IN_WINDOW,
                    "control_group": "held_out",
                    "treatment_group": "sent",
                    "control_units": units,
                    "control_successes": units // 10,
                    "treatment_units": units,
                    "treatment_successes": units * 16 // 100,
                    "control_rate": Decimal("0.1"),
                    "treatment_rate": Decimal("0.16"),
                    "absolute_lift": Decimal(lift),
                    "relative_lift": Decimal("0.6"),
                    "ci_low": Decimal(low),
                    "ci_high": Decimal(high),
                    "z_score": Decimal("4.9"),
                    "p_value": Decimal(p),
                    "is_significant": significant,
                    "sample_warning": "too_few_units" if units < 100 else None,
                    "as_of": AS_OF,
                }
            )
        _table(con, "performance.experiment_results", lifts)
    path = write_report(warehouse, folder / "report.html")
    return warehouse, path


def test_the_report_numbers_are_the_marts(report: tuple[Path, Path]) -> None:
    warehouse, path = report
    html = path.read_text()
    assert assert_report_matches_marts(html, warehouse) > 50
    assert "▼ under par" in html  # winback's open rate is below its range
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<script" not in html


def test_each_conversion_number_is_named(report: tuple[Path, Path]) -> None:
    """The funnels count attributed orders, the lift table orders in a window; both are
    named on the page as the marts name them, and the funnel shows the lift's number for
    the same flow under the lift's name."""
    _, path = report
    html = path.read_text()
    assert 'id="definitions"' in html
    assert html.count(ATTRIBUTED) >= 3  # definitions, each funnel
    assert IN_WINDOW in html
    assert ">converted<" not in html and "attributed orders" in html
    # welcome's sent group in the lift table: 240 of 1,500 (16.00%)
    assert f"240 of 1,500 (16.00%) had {IN_WINDOW}." in html


def test_small_samples_and_multiple_comparisons_are_flagged(report: tuple[Path, Path]) -> None:
    _, path = report
    html = path.read_text()
    note = html[html.index('id="multiple-comparisons"') :]
    note = note[: note.index("</p>")]
    assert "4 comparisons tested at the 5% level each; 3 look significant" in note
    assert "about 0.2 of 4 would still look significant" in note
    assert "2 stay significant after Holm" in note
    assert html.count("yes ✓✓") == 2  # the two that survive Holm
    assert "few units: under 100 in a group" in html
    assert "few delivered: under 100" in html  # winback step 2: 49 delivered


def test_holm_matches_statsmodels() -> None:
    from statsmodels.stats.multitest import multipletests

    from nudge.report.comparisons import holm_significant

    p_values = [0.04, 0.009, 0.3, 0.001, 0.012, 0.004, 0.026]
    keys = [f"k{i}" for i in range(len(p_values))]
    reject, *_ = multipletests(p_values, alpha=0.05, method="holm")
    expected = {k for k, r in zip(keys, reject, strict=True) if r}
    assert holm_significant(dict(zip(keys, p_values, strict=True))) == expected
    assert len(expected) == 4  # 0.026 fails at 0.05 / 3, 0.04 would pass alone


def test_chromium_renders_every_chart(report: tuple[Path, Path], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "needs Debian's chromium: apt-get install -y chromium (.ci/run)"
    _, path = report
    shot = tmp_path / "report.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(path.as_uri())
            charts = {
                "rfm-heatmap": "rect.cell",
                "segment-sizes": "polyline.segment-line",
                "rfm-movement": "rect.move",
                "funnel-welcome": "rect.stage",
                "funnel-winback": "rect.stage",
                "lift-chart": "line.interval",
            }
            counts = {}
            for chart_id, marks in charts.items():
                chart = page.locator(f"svg#{chart_id}")
                assert chart.count() == 1 and chart.is_visible(), chart_id
                box = chart.bounding_box()
                assert box and box["width"] > 100 and box["height"] > 50, chart_id
                counts[chart_id] = page.locator(f"svg#{chart_id} {marks}").count()
            moved = page.locator(
                'svg#rfm-movement rect[data-from="rfm_champions"][data-to="rfm_at_risk"]'
            )
            assert moved.get_attribute("data-contacts") == "3"
            below = page.locator("#flow-benchmarks td.below").count()
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert counts == {
        "rfm-heatmap": 25,
        "segment-sizes": 2,
        "rfm-movement": 4,
        "funnel-welcome": 4,
        "funnel-winback": 4,
        "lift-chart": 2,
    }
    assert below == 3  # winback open rate, both conversions
    assert shot.stat().st_size > 20_000
    print(f"screenshot: {shot}")
