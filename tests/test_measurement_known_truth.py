"""Known truth: plant effects, measure them with the models, get them back.

- Conversion: nudge.generator.effects plants orders so sent contacts of 'winback' convert
  X = 6 points more than its held-out ones (10% → 16%, 1,500 units per arm), and 'reengagement'
  with no effect (10% both). experiment_results must put X inside the 95% confidence
  interval of the measured lift (and call it significant), and must not call the zero
  effect significant (p ≥ 0.05, interval covering 0). Each result is one method (the
  Miettinen-Nurminen score interval and the score test it inverts, docs/measurement.md):
  its interval equals the reference of tests/test_statistics_score.py, its p-value
  statsmodels' score test, and "significant" is both "p < 0.05" and "the interval
  excludes 0".
- Clicks: 2,000 'welcome' sends really go to the Klaviyo sandbox, whose engagement
  simulation makes variant B click twice as often per open as A (expected difference
  Y = P(delivered) * open rate * click rate = 0.98 * 0.5 * 0.3 = 14.7 points); the
  engagement pull lands the clicks; the measured B - A click rate must cover Y.

The sends are inserted directly into triggers.triggered_sends (the models downstream of it
are built; the trigger definitions are not), dated relative to now so the sandbox's
engagement, stamped at the real send time, falls before the build's as_of; the welcome
sends came due minutes before, so the send-time gate sends them. Seeds are fixed:
with these sizes the intervals are about ±2.4 and ±3.6 points, and each check is a
deterministic run of a 95% procedure (about 1 seed in 20 would miss; these do not).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from statsmodels.stats import proportion as sm_proportion

from activation.destinations.klaviyo.sandbox import start_sandbox
from activation.engagement import pull_engagement
from activation.sandbox.framework import EngagementConfig
from activation.sends import run_sends
from activation.state import utcnow
from nudge.dbt_runner import run_dbt
from nudge.generator.effects import PlantedEffect, plant_conversion_effect
from nudge.raw_contract import create_table_sql
from nudge.report import write_report
from tests.fixtures.sends_as_built import mark_ledger_sends_sent
from tests.sends_helpers import API_KEY, make_warehouse, profile_row, send_row, settings
from tests.test_report import assert_report_matches_marts
from tests.test_statistics_score import reference_interval

PER_ARM = 1500
WELCOME_SENDS = 2000
X = 0.06
ENGAGEMENT = EngagementConfig(
    seed=11,
    bounce_rate=0.02,
    open_rate=0.5,
    click_rate=0.3,
    unsubscribe_rate=0.0,
    spam_rate=0.0,
    effects={"variant:B": {"click_rate": 2.0}},
    time_scale=0.0,
)
Y = (1 - 0.02) * 0.5 * 0.3 * (2.0 - 1.0)
MODELS = (
    "+int_orders_netted +int_consent_states_derived +int_email_events_parsed"
    " int_sends_engagement_summarized"
    " int_orders_attributed int_experiment_units_assigned flow_performance"
    " experiment_results flow_benchmark_comparison"
)


def _holdout_rows(trigger_key: str, start: datetime) -> list[dict[str, Any]]:
    rows = []
    for index in range(2 * PER_ARM):
        contact = f"{trigger_key}-{index:05d}"
        row = send_row(contact, trigger_key=trigger_key, series=f"{contact}-s", metric="Nudge")
        due = start + timedelta(minutes=7 * index)
        sent = index % 2 == 0
        row.update(
            due_at=due,
            scheduled_at=due,
            anchor_at=due,
            status="sent" if sent else "held_out",
            status_reason="ledger_sent" if sent else "holdout",
            variant="A",
        )
        rows.append(row)
    return rows


def _make_warehouse(path: Path, start: datetime, now: datetime) -> None:
    """The welcome sends came due in the last minutes (the send-time gate sends them now);
    the winback / reengagement units are a month old, already sent or held out."""
    welcome = []
    for index in range(WELCOME_SENDS):
        contact = f"welcome-{index:05d}"
        row = send_row(contact, trigger_key="welcome", series=f"{contact}-s", metric="Nudge")
        row.update(variant="B" if index % 2 else "A", due_at=now - timedelta(seconds=index))
        welcome.append(row)
    holdouts = [*_holdout_rows("winback", start), *_holdout_rows("reengagement", start)]
    make_warehouse(
        path, [*holdouts, *welcome], [profile_row(row["contact_id"]) for row in welcome], as_of=now
    )
    with duckdb.connect(str(path)) as con:
        for table in ("identifies", "product_catalog"):
            con.execute(create_table_sql(table))


@pytest.fixture(scope="module")
def measured(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, dict[str, PlantedEffect]]]:
    path = tmp_path_factory.mktemp("known_truth") / "nudge.duckdb"
    now = utcnow().replace(microsecond=0)
    start = now - timedelta(days=30)
    _make_warehouse(path, start, now)
    with start_sandbox(API_KEY, engagement=ENGAGEMENT) as sandbox:
        klaviyo = settings(sandbox.base_url)
        sent = run_sends(path, klaviyo, trigger_key="welcome")
        assert sent.sent == WELCOME_SENDS
        pull_engagement(path, klaviyo, until=now + timedelta(days=1))
    mark_ledger_sends_sent(path)
    planted = {
        "winback": plant_conversion_effect(path, "winback", base_rate=0.10, lift=X, seed=5),
        "reengagement": plant_conversion_effect(
            path, "reengagement", base_rate=0.10, lift=0.0, seed=5
        ),
    }
    as_of = (now + timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S")
    run_dbt(["seed", "--select", "flow_benchmarks", "placeholder_identities"], path, quiet=True)
    run_dbt(["run", "--select", *MODELS.split()], path, dbt_vars={"as_of": as_of}, quiet=True)
    yield path, planted


def _result(path: Path, trigger_key: str, comparison: str, metric: str) -> dict[str, Any]:
    with duckdb.connect(str(path), read_only=True) as con:
        cursor = con.execute(
            "select * from performance.experiment_results"
            " where trigger_key = ? and comparison = ? and metric = ?",
            [trigger_key, comparison, metric],
        )
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    assert len(rows) == 1
    return dict(zip(names, rows[0], strict=True))


def _p_value(r: dict[str, Any]) -> float:
    """statsmodels' score test of no difference, the test experiment_results reports."""
    result = sm_proportion.test_proportions_2indep(
        r["treatment_successes"],
        r["treatment_units"],
        r["control_successes"],
        r["control_units"],
        method="score",
        correction=True,
    )
    return float(result.pvalue)


def _interval(r: dict[str, Any]) -> tuple[float, float]:
    """The reference score interval of tests/test_statistics_score.py."""
    return reference_interval(
        (
            r["treatment_successes"],
            r["treatment_units"],
            r["control_successes"],
            r["control_units"],
        )
    )


def _assert_one_method(r: dict[str, Any]) -> None:
    """The interval is the score interval, the p-value the test it inverts, and they agree."""
    low, high = _interval(r)
    assert float(r["ci_low"]) == pytest.approx(low, abs=1e-6)
    assert float(r["ci_high"]) == pytest.approx(high, abs=1e-6)
    assert abs(float(r["p_value"]) - _p_value(r)) < 2e-6
    assert r["is_significant"] == (float(r["ci_low"]) > 0 or float(r["ci_high"]) < 0)
    assert r["is_significant"] == (float(r["p_value"]) < 0.05)
    assert r["sample_warning"] is None  # 1,000+ units per group


def test_a_planted_conversion_lift_is_recovered_within_its_interval(
    measured: tuple[Path, dict[str, PlantedEffect]],
) -> None:
    path, planted = measured
    r = _result(path, "winback", "sent_vs_held_out", "conversion")
    truth = planted["winback"]
    assert (r["control_units"], r["treatment_units"]) == (PER_ARM, PER_ARM)
    assert (r["control_successes"], r["treatment_successes"]) == (
        truth.conversions["held_out"],
        truth.conversions["sent"],
    )
    assert float(r["ci_low"]) <= X <= float(r["ci_high"])
    assert float(r["ci_high"]) - float(r["ci_low"]) < 0.06  # narrow enough to mean something
    assert r["is_significant"] and float(r["p_value"]) < 0.05
    _assert_one_method(r)
    assert r["success_definition"] == "any order within 7 days after the due time"
    assert float(r["relative_lift"]) == pytest.approx(
        float(r["absolute_lift"]) / float(r["control_rate"]), abs=1e-4
    )


def test_a_planted_zero_effect_is_not_reported_significant(
    measured: tuple[Path, dict[str, PlantedEffect]],
) -> None:
    path, _ = measured
    r = _result(path, "reengagement", "sent_vs_held_out", "conversion")
    assert (r["control_units"], r["treatment_units"]) == (PER_ARM, PER_ARM)
    assert float(r["p_value"]) >= 0.05 and not r["is_significant"]
    assert float(r["ci_low"]) <= 0.0 <= float(r["ci_high"])
    _assert_one_method(r)


def test_a_planted_variant_click_difference_is_recovered(
    measured: tuple[Path, dict[str, PlantedEffect]],
) -> None:
    path, _ = measured
    r = _result(path, "welcome", "variant_b_vs_a", "click")
    assert r["control_units"] + r["treatment_units"] == WELCOME_SENDS
    assert float(r["ci_low"]) <= Y <= float(r["ci_high"])
    assert r["is_significant"]
    _assert_one_method(r)
    assert r["success_definition"] == "a click on any email of the series"
    with duckdb.connect(str(path), read_only=True) as con:
        flows = dict(
            con.execute(
                "select variant, click_through_rate * delivered / sends"
                " from performance.flow_performance where trigger_key = 'welcome'"
            ).fetchall()
        )
    # flow_performance counts the same clicks per send as the experiment's units
    assert float(flows["B"]) - float(flows["A"]) == pytest.approx(
        float(r["absolute_lift"]), abs=1e-4
    )


def test_the_report_shows_these_marts(
    measured: tuple[Path, dict[str, PlantedEffect]], tmp_path: Path
) -> None:
    path, _ = measured
    html = write_report(path, tmp_path / "report.html").read_text()
    assert assert_report_matches_marts(html, path) > 100
    for chart in ("funnel-welcome", "funnel-winback", "lift-chart", "rfm-heatmap"):
        assert f'id="{chart}"' in html
