"""The measurement report in a real browser: Debian's Chromium (driven by playwright, as in
tests/test_dagster_ui.py) renders the HTML the demo writes; every chart is there as an SVG
with its id and its marks, the period selector switches the KPIs and trends shown,
screenshots are saved, and each number on the page is the value of its mart row.
(tests/test_measurement_known_truth.py checks the same equality on marts built by dbt.)"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import pytest

from nudge.report import write_report
from nudge.report.data import ReportData
from nudge.report.page import segments_section

CHROMIUM = Path("/usr/bin/chromium")
AS_OF = datetime(2026, 11, 30, 12)
# two runs on the same day: the time axis must still tell them apart
T1, T2 = datetime(2026, 11, 30, 6), datetime(2026, 11, 30, 9)
ATTRIBUTED = "attributed order: within 5 days after opening or clicking the email"
IN_WINDOW = "any order within 7 days after the due time"
CLICK = "a click on any email of the series"
# each mart shown, with its key column; the report shows every row of each, except
# email_kpis where the KPI cards show the last_N_days rows (days and weeks are the trends)
MART_KEYS = {
    "flow_benchmark_comparison": "trigger_key",
    "experiment_results": "result_key",
    "flow_performance": "performance_key",
    "audience_performance": "audience_key",
    "segment_lifetime_value": "segment_key",
    "lifecycle_stage_lifetime_value": "lifecycle_stage",
    "email_kpis": "kpi_key",
}


class _Values(HTMLParser):
    """(mart, row key, column) -> data-value of every element carrying one; the mart and
    the key come from the element itself, else from its table and its row."""

    def __init__(self) -> None:
        super().__init__()
        self.mart: str | None = None
        self.row: str | None = None
        self.values: dict[tuple[str, str, str], str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table":
            self.mart, self.row = found.get("data-mart"), None
        elif tag == "tr":
            self.row = found.get("data-key")
        if "data-value" in found:
            mart = found.get("data-mart") or self.mart
            key = found.get("data-key") or self.row
            assert mart and key, (tag, found)
            self.values[(mart, key, str(found["data-column"]))] = str(found["data-value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.mart = self.row = None


def report_values(html: str) -> dict[tuple[str, str, str], str]:
    parser = _Values()
    parser.feed(html)
    return parser.values


def _mart_rows(con: duckdb.DuckDBPyConnection, mart: str) -> list[dict[str, Any]]:
    cursor = con.execute(f"select * from performance.{mart}")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def assert_report_matches_marts(html: str, warehouse: Path) -> int:
    """Every number on the page equals its mart's value, and every row of each mart is
    shown; returns how many values were checked."""
    values = report_values(html)
    assert {mart for mart, _, _ in values} <= set(MART_KEYS)
    checked = 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        built = {
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'performance'"
            ).fetchall()
        }
        for mart, key in MART_KEYS.items():
            if mart not in built:  # a warehouse with some marts only (known-truth tests)
                assert not [k for k in values if k[0] == mart], mart
                continue
            rows = {str(r[key]): r for r in _mart_rows(con, mart)}
            if mart == "email_kpis":
                rows = {k: r for k, r in rows.items() if r["grain"].startswith("last_")}
            shown = [k for k in values if k[0] == mart]
            assert {k[1] for k in shown} == set(rows), mart
            for _, row_key, column in shown:
                value = rows[row_key][column]
                expected = "" if value is None else str(value)
                assert values[(mart, row_key, column)] == expected, (mart, row_key, column)
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


def _ratio(part: int, whole: int, places: str = "0.000001") -> Decimal | None:
    return (Decimal(part) / whole).quantize(Decimal(places)) if whole else None


def _kpi(
    grain: str, start: date, end: date, sends: int, revenue: str, comparison: str | None = None
) -> dict[str, Any]:
    """An email_kpis row whose figures follow from ``sends`` (rates consistent with them)."""
    delivered = sends - sends // 20
    opens, recipients = delivered * 2 // 5, sends - sends // 10
    clicks, unsubscribes = opens // 4, sends // 50
    return {
        "kpi_key": f"{grain}|{start}",
        "grain": grain,
        "comparison": comparison,
        "period_start": start,
        "period_end": end,
        "sends": sends,
        "recipients": recipients,
        "delivered": delivered,
        "opens": opens,
        "clicks": clicks,
        "unsubscribes": unsubscribes,
        "attributed_orders": sends // 30,
        "attributed_revenue": Decimal(revenue),
        "new_subscribers": sends // 10,
        "lost_subscribers": sends // 25,
        "net_list_growth": sends // 10 - sends // 25,
        "open_rate": _ratio(opens, delivered),
        "click_through_rate": _ratio(clicks, delivered),
        "unsubscribe_rate": _ratio(unsubscribes, delivered),
        "revenue_per_recipient": _ratio(int(Decimal(revenue)), recipients, "0.01"),
        "as_of": AS_OF,
    }


# (grain, comparison, sends, revenue) of the KPI windows; the 13-week one has no history
WINDOWS = (
    ("last_7_days", "current", 300, "450.00"),
    ("last_7_days", "previous", 250, "500.00"),
    ("last_28_days", "current", 1100, "1800.00"),
    ("last_28_days", "previous", 1000, "1500.00"),
    ("last_91_days", "current", 3600, "5400.00"),
    ("last_91_days", "previous", 0, "0"),
)


def _kpi_rows() -> list[dict[str, Any]]:
    today = AS_OF.date()
    rows = [
        _kpi("day", day, day, 30 + (i * 7) % 23, f"{(i * 37) % 90}.50")
        for i in range(120)
        for day in [today - timedelta(days=i)]
    ]
    monday = today - timedelta(days=today.weekday())
    rows += [
        _kpi("week", start, start + timedelta(days=6), 200 + 10 * i, f"{300 + 7 * i}.00")
        for i in range(17)
        for start in [monday - timedelta(weeks=i)]
    ]
    for grain, comparison, sends, revenue in WINDOWS:
        days = int(grain.split("_")[1])
        end = today - timedelta(days=days if comparison == "previous" else 0)
        rows.append(_kpi(grain, end - timedelta(days=days - 1), end, sends, revenue, comparison))
    return rows


def _audience(dimension: str, audience: str, sends: int, revenue: str) -> dict[str, Any]:
    delivered, opens = sends - 2, sends // 2
    return {
        "audience_key": f"{dimension}|{audience}",
        "dimension": dimension,
        "audience": audience,
        "contacts_sent": sends // 2,
        "sends": sends,
        "delivered": delivered,
        "opens": opens,
        "clicks": opens // 3,
        "conversions": sends // 20,
        "revenue": Decimal(revenue),
        "open_rate": _ratio(opens, delivered),
        "click_through_rate": _ratio(opens // 3, delivered),
        "conversion_rate": _ratio(sends // 20, delivered),
        "revenue_per_email": _ratio(int(Decimal(revenue)), delivered, "0.01"),
        "as_of": AS_OF,
    }


def _lifetime_value(
    key: str, audience: str, members: int, customers: int, revenue: str
) -> dict[str, Any]:
    return {
        key: audience,
        "members": members,
        "customers": customers,
        "orders": 3 * customers,
        "lifetime_revenue": Decimal(revenue),
        "lifetime_value_per_member": _ratio(int(Decimal(revenue)), members, "0.01"),
        "lifetime_value_per_customer": _ratio(int(Decimal(revenue)), customers, "0.01"),
        "orders_per_customer": Decimal("3.00") if customers else None,
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
        transitions += [
            {
                "segment_key": "rfm_loyal",
                "contact_id": f"c{i}",
                "transition": "entered",
                "transitioned_at": T1,
            }
            for i in range(20, 25)
        ]
        _table(con, "segments.segment_transitions", transitions)
        _table(con, "performance.email_kpis", _kpi_rows())
        _table(
            con,
            "performance.audience_performance",
            [
                _audience("segment", "rfm_champions", 120, "640.00"),
                _audience("segment", "rfm_at_risk", 80, "95.00"),
                _audience("lifecycle_stage", "loyal", 150, "700.00"),
                _audience("lifecycle_stage", "subscriber", 90, "0.00"),
            ],
        )
        _table(
            con,
            "performance.segment_lifetime_value",
            [
                _lifetime_value("segment_key", "rfm_champions", 10, 10, "6200.00"),
                _lifetime_value("segment_key", "subscribers", 40, 0, "0.00"),
            ],
        )
        _table(
            con,
            "performance.lifecycle_stage_lifetime_value",
            [
                _lifetime_value("lifecycle_stage", "loyal", 12, 12, "4800.00"),
                _lifetime_value("lifecycle_stage", "repeat", 20, 20, "2100.00"),
                _lifetime_value("lifecycle_stage", "subscriber", 30, 0, "0.00"),
            ],
        )
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
    # 6 KPI windows x 9 figures, 4 audiences x 9, 2 segments and 3 stages x 7, the flows
    assert assert_report_matches_marts(html, warehouse) > 6 * 9 + 4 * 9 + 5 * 7 + 50
    assert "▼ under par" in html  # winback's open rate is below its range
    # one file that opens offline: nothing linked or fetched, the one script is inline
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", html)
    assert "https://" not in html
    assert "http://" not in re.sub(r'xmlns(:xlink)?="http://www\.w3\.org/[^"]*"', "", html)
    assert html.count("<script") == 1 and "<script>" in html


def _card(html: str, period: str, kpi: str) -> str:
    section = html[html.index(f'id="period-{period}"') :]
    card = section[section.index(f'data-kpi="{kpi}"') :]
    return card[: card.index('<div class="kpi"', 1)] if '<div class="kpi"' in card[1:] else card


def test_each_kpi_is_compared_with_the_period_before(report: tuple[Path, Path]) -> None:
    """Counts and money change in percent of the previous period, rates in points; no
    change is shown against an empty previous period."""
    _, path = report
    html = path.read_text()
    sends = _card(html, "last_7_days", "sends")  # 300 against 250
    assert 'data-change="20.0"' in sends and "▲ +20.0% vs previous" in sends
    assert ">300<" in sends and "250 before" in sends
    revenue = _card(html, "last_7_days", "attributed_revenue")  # 450 against 500
    assert "▼ -10.0% vs previous" in revenue and "$500.00 before" in revenue
    # open rates: 114/285 = 40.00% against 95/238 = 39.92%: +0.08 points
    opens = _card(html, "last_7_days", "open_rate")
    assert "40.00%" in opens and "▲ +0.1 pts vs previous" in opens
    change = re.search(r'data-change="([^"]+)"', opens)
    assert change and float(change.group(1)) == pytest.approx(100 * (0.4 - 0.399160), abs=1e-6)
    empty = _card(html, "last_91_days", "sends")  # 3,600 against nothing
    assert 'data-change=""' in empty and "no earlier figure to compare" in empty
    assert "Tue 03 Nov 2026 to Mon 30 Nov 2026" in html  # the 4 weeks to the as_of day


def test_segment_movement_names_the_runs_recorded() -> None:
    """Two runs without a move say so, instead of "one run so far"."""
    two_runs = segments_section(ReportData(segment_runs=2))
    assert "No contact has moved between RFM segments in the 2 runs recorded" in two_runs
    assert "one run" not in two_runs
    assert "Only one run recorded so far" in segments_section(ReportData(segment_runs=1))


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


# chart id -> (marks counted in its SVG, how many); the trends of each period
# (email_kpis: 7 and 28 days by day, 13 weeks by week) come after these
CHARTS = {
    "rfm-heatmap": ("g.mark-rect.role-mark path", 15),  # cells with contacts (5 R x 3 F)
    # a point per segment and run: rfm_loyal keeps its 5 at the run it did not change at,
    # rfm_at_risk had 0 before it was entered
    "segment-sizes": ("g.mark-symbol.role-mark path", 3 * 2),
    "rfm-movement": ("g.mark-rect.role-mark path", 1),  # champions -> at risk
    "audience-segment-revenue": ("g.mark-rect.role-mark path", 2),
    "audience-lifecycle_stage-revenue": ("g.mark-rect.role-mark path", 2),
    "segment-clv": ("g.mark-rect.role-mark path", 2),
    "stage-clv": ("g.mark-rect.role-mark path", 3),
    "funnel-welcome": ("g.mark-rect.role-mark path", 4),
    "funnel-winback": ("g.mark-rect.role-mark path", 4),
    "lift-chart": ("g.mark-rule.role-mark line", 3),  # two intervals and the zero line
}
TREND_POINTS = {"last_7_days": 7, "last_28_days": 28, "last_91_days": 14}


def _trend_charts(period: str) -> dict[str, tuple[str, int]]:
    points = TREND_POINTS[period]
    return {
        f"trend-{period}-emails": ("g.mark-symbol.role-mark path", 4 * points),
        f"trend-{period}-rates": ("g.mark-symbol.role-mark path", 2 * points),
        f"trend-{period}-revenue": ("g.mark-rect.role-mark path", points),
        f"trend-{period}-list": ("g.mark-rect.role-mark path", points),
    }


def _count_marks(page: Any, charts: dict[str, tuple[str, int]]) -> dict[str, int]:
    counts = {}
    for chart_id, (marks, _) in charts.items():
        chart = page.locator(f"svg#{chart_id}")
        assert chart.count() == 1 and chart.is_visible(), chart_id
        box = chart.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 50, chart_id
        counts[chart_id] = page.locator(f"svg#{chart_id} {marks}").count()
    return counts


def _axes(page: Any, chart_id: str) -> dict[str, list[str]]:
    """Each axis of the chart ("X-axis …", "Y-axis …", as Vega describes it) -> its tick
    labels as drawn."""
    axes = page.locator(f"svg#{chart_id} g.role-axis")
    return {
        str(axes.nth(i).get_attribute("aria-label")): axes.nth(i)
        .locator("g.role-axis-label text")
        .all_text_contents()
        for i in range(axes.count())
    }


def test_chromium_renders_every_chart(report: tuple[Path, Path], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "needs Debian's chromium: apt-get install -y chromium (.ci/run)"
    warehouse, path = report
    with duckdb.connect(str(warehouse), read_only=True) as con:
        days = {
            (r["period_start"], r["sends"])
            for r in _mart_rows(con, "email_kpis")
            if r["grain"] == "day" and r["period_start"] > AS_OF.date() - timedelta(days=7)
        }
    shots = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(path.as_uri())
            counts = _count_marks(page, {**CHARTS, **_trend_charts("last_7_days")})
            segment_axes = _axes(page, "segment-sizes")
            # each point of the emails trend says what it shows: the mart's sends per day
            sent_points = [
                str(label)
                for label in page.locator(
                    "svg#trend-last_7_days-emails g.mark-symbol.role-mark path"
                ).evaluate_all("marks => marks.map(m => m.getAttribute('aria-label'))")
                if "measure: sent" in str(label)
            ]
            below = page.locator("#flow-benchmarks td.below").count()
            shots.append(tmp_path / "report-last_7_days.png")
            page.screenshot(path=str(shots[-1]), full_page=True)
            # the selector shows one period at a time: its KPIs and its trends
            for period in ("last_28_days", "last_91_days"):
                assert not page.locator(f"#period-{period}").is_visible()
                page.select_option("#period-select", period)
                assert page.locator(f"#period-{period}").is_visible()
                assert not page.locator("#period-last_7_days").is_visible()
                counts |= _count_marks(page, _trend_charts(period))
                shots.append(tmp_path / f"report-{period}.png")
                page.screenshot(path=str(shots[-1]), full_page=True)
        finally:
            browser.close()
    expected = {**CHARTS}
    for period in TREND_POINTS:
        expected |= _trend_charts(period)
    assert counts == {chart_id: count for chart_id, (_, count) in expected.items()}
    assert below == 3  # winback open rate, both conversions
    # the two runs of one day: a time axis from 06:00 to 09:00 whose ticks all differ, and
    # a members axis from 0 with more than two ticks
    described = {axis: ticks for axis, ticks in segment_axes.items() if axis[1:7] == "-axis "}
    (x_axis, x_ticks), (y_axis, y_ticks) = sorted(described.items())
    assert "6:00:00 AM UTC to Monday, 30 November 2026, 9:00:00 AM UTC" in x_axis, x_axis
    assert len(x_ticks) > 2 and len(set(x_ticks)) == len(x_ticks), x_ticks
    assert "values from 0 to 10" in y_axis and len(y_ticks) > 2, (y_axis, y_ticks)
    shown = {
        (datetime.strptime(m.group(1), "%b %d, %Y").date(), int(m.group(2)))
        for m in (re.search(r"period_start: ([^;]+); emails: (\d+)", s) for s in sent_points)
        if m
    }
    assert shown == days
    for shot in shots:
        assert shot.stat().st_size > 20_000
        print(f"screenshot: {shot}")
