"""The statistics macros against independent references (docs/measurement.md).

The macros (macros/statistics/two_proportion_test.sql, score_interval.sql) are compiled by
dbt and run on DuckDB over many (successes, units) pairs: every pair of groups of 1, 2, 3,
5 and 8 units with every success count, larger groups drawn at random, and the edge cases
of issue 17 (0/5 vs 0/2, 5/5 vs 0/5, an empty group). They are checked against:

- the score test's z and p-value from statsmodels (`test_proportions_2indep`, method
  'score', the Miettinen-Nurminen variance correction) and scipy (Pearson's chi-square
  without continuity correction, which is z² * N / (N - 1));
- the score interval from a reference written here from the definition, sharing no code
  with the SQL: the restricted maximum-likelihood proportions found by root finding on the
  score equation (not the closed-form cubic the SQL uses), and each bound by root finding
  on "the test at δ rejects exactly at 5%". statsmodels' own score interval is not used:
  the cubic in statsmodels 0.15 has a wrong coefficient (statsmodels issue 10269);
- the agreement the report relies on: the interval excludes 0 exactly when p < 0.05;
- known truth: 95% intervals over simulated experiments with a known difference cover it
  about 95% of the time, and a zero difference is called significant about 5% of the time.
"""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from scipy.optimize import brentq
from scipy.stats import chi2_contingency
from statsmodels.stats import proportion as sm_proportion

from nudge.dbt_runner import run_dbt

pytestmark = pytest.mark.slow

Z = 1.959963984540054
Case = tuple[int, int, int, int]  # treatment successes, units; control successes, units

SMALL = (1, 2, 3, 5, 8)
GRID: list[Case] = [
    (x1, n1, x0, n0) for n1 in SMALL for n0 in SMALL for x1 in range(n1 + 1) for x0 in range(n0 + 1)
]
_rng = random.Random(17)
LARGE: list[Case] = []
for _ in range(60):
    _n1, _n0 = _rng.randint(20, 3000), _rng.randint(20, 3000)
    LARGE.append((_rng.randint(0, _n1), _n1, _rng.randint(0, _n0), _n0))
EDGES: list[Case] = [(0, 5, 0, 2), (5, 5, 0, 5), (0, 5, 5, 5), (240, 1500, 150, 1500)]
EMPTY: list[Case] = [(0, 0, 3, 4), (2, 4, 0, 0), (0, 0, 0, 0)]

SIMULATIONS = 400
TRUE_CONTROL, TRUE_TREATMENT, SIMULATED_UNITS = 0.10, 0.16, 300


def _simulated(p_treatment: float, seed: int) -> list[Case]:
    rng = random.Random(seed)
    cases = []
    for _ in range(SIMULATIONS):
        x1 = sum(rng.random() < p_treatment for _ in range(SIMULATED_UNITS))
        x0 = sum(rng.random() < TRUE_CONTROL for _ in range(SIMULATED_UNITS))
        cases.append((x1, SIMULATED_UNITS, x0, SIMULATED_UNITS))
    return cases


EFFECT = _simulated(TRUE_TREATMENT, seed=1)
NO_EFFECT = _simulated(TRUE_CONTROL, seed=2)

# the macros over a relation `cases` (case_id, x1, n1 treatment; x0, n0 control)
SQL = """
with

{{ nudge.score_interval_ctes('intervals', 'cases', ['case_id'], 'n0', 'x0', 'n1', 'x1') }}

select
    cases.case_id,
    intervals.ci_low,
    intervals.ci_high,
    {{ nudge.two_proportion_test_columns('cases.n0', 'cases.x0', 'cases.n1', 'cases.x1') }}
from cases
left join intervals on cases.case_id = intervals.case_id
"""


def compile_sql(
    sql: str, folder: Path, target: str | None = None, env: dict[str, str] | None = None
) -> str:
    """The SQL dbt compiles from `sql` with the project's macros, for `target`."""
    result = run_dbt(
        ["compile", "--inline", sql], folder / "compile.duckdb", target=target, env=env, quiet=True
    )
    return str(result.results[0]["compiled_code"])


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[Case, dict[str, float]]]:
    """Case -> the macros' columns, every case run through the compiled SQL at once."""
    compiled = compile_sql(SQL, tmp_path_factory.mktemp("statistics"))
    cases = list(dict.fromkeys([*GRID, *LARGE, *EDGES, *EMPTY, *EFFECT, *NO_EFFECT]))
    with duckdb.connect() as con:
        con.execute("create table cases (case_id integer, x1 int, n1 int, x0 int, n0 int)")
        con.executemany(
            "insert into cases values (?, ?, ?, ?, ?)",
            [(i, *case) for i, case in enumerate(cases)],
        )
        cursor = con.execute(compiled)
        names = [d[0] for d in cursor.description]
        rows = {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
    yield {case: rows[i] for i, case in enumerate(cases)}


# --- the reference, from the definition --------------------------------------------------


def _restricted_control(case: Case, delta: float) -> float:
    """The control proportion maximizing the likelihood of both groups under
    p_treatment = p_control + delta: the root of the score equation (the log-likelihood is
    concave in it), or the end of the feasible range it rises towards."""
    x1, n1, x0, n0 = case
    low, high = max(0.0, -delta), min(1.0, 1.0 - delta)
    if high - low < 1e-15:
        return low

    def score(p0: float) -> float:
        p1 = p0 + delta
        total = 0.0
        for successes, units, p in ((x1, n1, p1), (x0, n0, p0)):
            if successes:
                total += successes / p
            if units - successes:
                total -= (units - successes) / (1.0 - p)
        return total

    eps = 1e-13
    a, b = low + eps, high - eps
    if score(a) <= 0:
        return low
    if score(b) >= 0:
        return high
    return float(brentq(score, a, b, xtol=1e-15, rtol=1e-15, maxiter=500))


def _rejects_by(case: Case, delta: float) -> float:
    """(observed - delta)² - z² * the score variance at delta: > 0 where the 5% score test of
    "difference = delta" rejects."""
    x1, n1, x0, n0 = case
    p0 = _restricted_control(case, delta)
    p1 = min(1.0, max(0.0, p0 + delta))
    n = n0 + n1
    variance = (p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0) * n / (n - 1)
    return (x1 / n1 - x0 / n0 - delta) ** 2 - Z * Z * variance


def reference_interval(case: Case) -> tuple[float, float]:
    x1, n1, x0, n0 = case
    observed = x1 / n1 - x0 / n0
    bounds = []
    for end in (-1.0, 1.0):
        # just inside the observed difference, where the variance may be 0 (no success or
        # no failure at all) and the test reaches exactly 0
        inner = observed + (end - observed) * 1e-12
        if observed == end or _rejects_by(case, end) <= 0:
            bounds.append(end)
        elif _rejects_by(case, inner) > 0:
            bounds.append(observed)
        else:
            bounds.append(float(brentq(lambda d: _rejects_by(case, d), end, inner, xtol=1e-13)))
    return bounds[0], bounds[1]


def _statsmodels_score_test(case: Case) -> tuple[float, float]:
    x1, n1, x0, n0 = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = sm_proportion.test_proportions_2indep(
            x1, n1, x0, n0, method="score", correction=True
        )
    return float(result.statistic), float(result.pvalue)


# --- the checks ----------------------------------------------------------------------------


def test_the_interval_is_the_score_interval(measured: dict[Case, dict[str, float]]) -> None:
    worst = 0.0
    for case in [*GRID, *LARGE, *EDGES]:
        row = measured[case]
        low, high = reference_interval(case)
        assert row["ci_low"] == pytest.approx(low, abs=1e-7), case
        assert row["ci_high"] == pytest.approx(high, abs=1e-7), case
        worst = max(worst, abs(row["ci_low"] - low), abs(row["ci_high"] - high))
    print(f"largest bound difference from the reference: {worst:.2e}")


def test_the_p_value_is_the_score_test_of_statsmodels_and_scipy(
    measured: dict[Case, dict[str, float]],
) -> None:
    compared = 0
    for case in [*GRID, *LARGE, *EDGES]:
        x1, n1, x0, n0 = case
        row = measured[case]
        if x1 + x0 in (0, n1 + n0):  # no variance: nothing to test, reported as p = 1
            assert row["z_score"] == 0.0 and row["p_value"] == pytest.approx(1.0, abs=1e-6)
            continue
        statistic, p_value = _statsmodels_score_test(case)
        assert row["z_score"] == pytest.approx(statistic, rel=1e-9, abs=1e-12), case
        assert row["p_value"] == pytest.approx(p_value, abs=2e-7), case
        table = [[x1, n1 - x1], [x0, n0 - x0]]
        chi2 = chi2_contingency(table, correction=False).statistic
        n = n1 + n0
        assert row["z_score"] ** 2 == pytest.approx(chi2 * (n - 1) / n, rel=1e-9), case
        compared += 1
    assert compared > 500


def test_the_interval_excludes_zero_exactly_when_p_is_below_5_percent(
    measured: dict[Case, dict[str, float]],
) -> None:
    significant = borderline = 0
    for case in [*GRID, *LARGE, *EDGES, *EFFECT, *NO_EFFECT]:
        row = measured[case]
        excludes_zero = row["ci_low"] > 0 or row["ci_high"] < 0
        if abs(row["p_value"] - 0.05) < 1e-6:
            borderline += 1
            continue
        assert excludes_zero == (row["p_value"] < 0.05), (case, row)
        significant += excludes_zero
    assert significant > 100 and borderline < 5


def test_the_edge_cases_of_issue_17(measured: dict[Case, dict[str, float]]) -> None:
    # no success in either group: no difference seen, but not a zero-width interval
    none = measured[(0, 5, 0, 2)]
    assert none["absolute_lift"] == 0.0 and none["p_value"] == pytest.approx(1.0, abs=1e-6)
    assert none["ci_low"] < -0.5 and none["ci_high"] > 0.4
    # all vs nothing: significant, the interval reaches the largest possible difference
    best = measured[(5, 5, 0, 5)]
    assert best["ci_high"] == 1.0 and 0.3 < best["ci_low"] < 0.5
    assert best["p_value"] < 0.01
    worst = measured[(0, 5, 5, 5)]
    assert (worst["ci_low"], worst["ci_high"]) == (-1.0, pytest.approx(-best["ci_low"]))
    # an empty group: nothing is computed
    for case in EMPTY:
        row = measured[case]
        assert row["ci_low"] is None and row["ci_high"] is None, case
        assert row["z_score"] is None and row["p_value"] is None, case
        assert row["absolute_lift"] is None, case


def test_intervals_cover_a_known_difference_95_percent_of_the_time(
    measured: dict[Case, dict[str, float]],
) -> None:
    truth = TRUE_TREATMENT - TRUE_CONTROL
    covered = sum(measured[c]["ci_low"] <= truth <= measured[c]["ci_high"] for c in EFFECT)
    # 400 draws of a 95% procedure: 380 expected, sd 4.4
    assert 0.925 * SIMULATIONS <= covered <= 0.98 * SIMULATIONS, covered
    false_alarms = sum(measured[c]["ci_low"] > 0 or measured[c]["ci_high"] < 0 for c in NO_EFFECT)
    assert false_alarms <= 0.075 * SIMULATIONS, false_alarms
    found = sum(measured[c]["ci_low"] > 0 for c in EFFECT)
    # 300 units per group, 10% vs 16%: power about 0.66
    assert found >= 0.5 * SIMULATIONS, found
    print(f"coverage {covered}/{SIMULATIONS}, false alarms {false_alarms}, found {found}")


def test_the_reference_agrees_with_a_published_value() -> None:
    """Guard on the reference itself: Newcombe (1998, Stat Med 17:873, table II) lists the
    Miettinen-Nurminen interval for 56/70 vs 48/80 as 0.0528 to 0.3382."""
    low, high = reference_interval((56, 70, 48, 80))
    assert (round(low, 4), round(high, 4)) == (0.0528, 0.3382)
    assert math.isclose(56 / 70 - 48 / 80, 0.2)
