"""Buy-till-you-die predictions on a store whose customers follow the BG/NBD story with known
parameters: the fit recovers them, the backtest beats the naive baseline (each customer keeps
their past rate) by mean absolute error of held-out orders per customer, its deciles rank
customers by what they then did, and the table is replaced whole on each run."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from dagster import AssetKey, DagsterInstance, materialize
from typer.testing import CliRunner

from activation.warehouse import open_warehouse
from nudge.cli import app
from nudge.dbt_runner import dbt_artifacts_dir
from nudge.predictions.model import DegenerateFit, NotEnoughHistory, fit, predict, summarize
from nudge.predictions.run import run_predictions
from nudge.predictions.store import PREDICTIONS
from orchestration.assets.predictions import PREDICTIONS_KEY, predictions_asset
from orchestration.resources import WarehouseResource

START = datetime(2026, 1, 1)
AS_OF = START + timedelta(days=365)
TRUTH = {"r": 0.8, "alpha": 40.0, "a": 0.6, "b": 3.0}
MANIFEST = {
    "nodes": {
        "model.nudge.int_orders_netted": {
            "name": "int_orders_netted",
            "resource_type": "model",
            "relation_name": "intermediate.int_orders_netted",
        }
    }
}


def _orders(customers: int, seed: int = 7) -> list[tuple[str, datetime, float]]:
    """Each customer: first order at a uniform day of the first 200, then orders at rate
    lambda ~ Gamma(r, 1/alpha) per day, becoming inactive after each repeat order with
    p ~ Beta(a, b); order values ~ Gamma around a personal mean."""
    rng = np.random.default_rng(seed)
    rows = []
    for number in range(customers):
        contact = f"c{number:05d}"
        rate = rng.gamma(TRUTH["r"], 1 / TRUTH["alpha"])
        dropout = rng.beta(TRUTH["a"], TRUTH["b"])
        mean_value = rng.gamma(4.0, 20.0)
        day, repeat = rng.uniform(0, 200), False
        while day < 365:
            rows.append(
                (contact, START + timedelta(days=day), round(rng.gamma(8, mean_value / 8), 2))
            )
            if repeat and rng.random() < dropout:
                break
            day, repeat = day + rng.exponential(1 / rate), True
    return rows


def _warehouse(
    tmp_path: Path, rows: list[tuple[str, datetime, float]], name: str = "orders.duckdb"
) -> Path:
    path = tmp_path / name
    with open_warehouse(path) as connection:
        connection.execute("create schema intermediate")
        connection.execute(
            "create table intermediate.int_orders_netted"
            " (contact_id varchar, ordered_at timestamp, net_total decimal(12, 2))"
        )
        connection.insert_rows(
            "intermediate.int_orders_netted", ["contact_id", "ordered_at", "net_total"], rows
        )
    return path


def test_predictions_beat_the_naive_baseline_on_a_known_truth_store(tmp_path: Path) -> None:
    path = _warehouse(tmp_path, _orders(3000))
    with open_warehouse(path) as connection:
        run = run_predictions(connection, MANIFEST, AS_OF, fitted_at=AS_OF)
        stored = connection.fetchall(
            f"select count(*), min(churn_probability), max(churn_probability),"
            f" sum(expected_orders_90d), min(predicted_clv_365d) from {PREDICTIONS.qualified}"
        )[0]

    # the shapes are loosely identified on a year of 3,000 customers; their means are not
    fitted = {name: run.parameters[f"bgnbd_{name}"] for name in TRUTH}
    assert fitted["r"] / fitted["alpha"] == pytest.approx(TRUTH["r"] / TRUTH["alpha"], rel=0.2)
    mean_dropout = fitted["a"] / (fitted["a"] + fitted["b"])
    assert mean_dropout == pytest.approx(TRUTH["a"] / (TRUTH["a"] + TRUTH["b"]), rel=0.3)

    backtest = run.backtest
    assert backtest.model_mae < 0.9 * backtest.baseline_mae
    assert backtest.model_orders == pytest.approx(backtest.actual_orders, rel=0.2)
    actual = backtest.deciles["actual"].to_numpy()
    assert actual[0] > 3 * actual[-1] and actual[:5].sum() > actual[5:].sum()

    count, churn_min, churn_max, expected_orders, clv_min = stored
    assert count == run.contacts == 3000
    assert 0 <= churn_min < churn_max <= 1
    assert expected_orders == pytest.approx(run.predictions["expected_orders_90d"].sum())
    assert clv_min >= 0


def test_a_rerun_replaces_the_table_and_orders_after_as_of_are_not_seen(tmp_path: Path) -> None:
    rows = _orders(400)
    path = _warehouse(tmp_path, rows)
    earlier = AS_OF - timedelta(days=30)
    with open_warehouse(path) as connection:
        run_predictions(connection, MANIFEST, AS_OF, fitted_at=AS_OF)
        run = run_predictions(connection, MANIFEST, earlier, fitted_at=AS_OF)
        stored = connection.fetchall(
            f"select count(*), max(observed_until) from {PREDICTIONS.qualified}"
        )[0]
    customers_then = len({contact for contact, ordered_at, _ in rows if ordered_at <= earlier})
    assert stored == (customers_then, earlier) and run.contacts == customers_then


def test_too_little_history_is_refused_and_the_table_is_kept(tmp_path: Path) -> None:
    path = _warehouse(tmp_path, _orders(400))
    with open_warehouse(path) as connection:
        run_predictions(connection, MANIFEST, AS_OF, fitted_at=AS_OF)
        with pytest.raises(NotEnoughHistory, match="at least 20 and 10 are needed"):
            run_predictions(connection, MANIFEST, START + timedelta(days=3), fitted_at=AS_OF)
        kept = connection.fetchall(f"select count(*) from {PREDICTIONS.qualified}")[0][0]
    assert kept > 0


def test_nudge_predict_stores_and_prints_the_backtest(tmp_path: Path) -> None:
    path = _warehouse(tmp_path, _orders(400))
    manifest = dbt_artifacts_dir(path) / "target" / "manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps(MANIFEST))
    result = CliRunner().invoke(
        app, ["predict", "--as-of", f"{AS_OF:%Y-%m-%d}", "--warehouse", str(path)]
    )
    assert result.exit_code == 0, result.output
    assert "400 customers predicted as of 2027-01-01 00:00 UTC" in result.output
    assert "Mean absolute error per customer: model" in " ".join(result.output.split())
    too_early = CliRunner().invoke(
        app, ["predict", "--as-of", "2026-01-02", "--warehouse", str(path)]
    )
    assert too_early.exit_code != 0 and "at least 20 and 10 are needed" in too_early.output


def test_the_dagster_asset_stores_predictions_with_the_backtest_as_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # named as the profile names the DuckDB catalog, so the manifest's relation resolves
    path = _warehouse(tmp_path, _orders(400), name="nudge.duckdb")
    monkeypatch.setenv("NUDGE_WAREHOUSE", str(path))
    result = materialize(
        [predictions_asset(AssetKey(["intermediate", "int_orders_netted"]), "contacts")],
        resources={"warehouse": WarehouseResource()},
        instance=DagsterInstance.ephemeral(),
    )
    (event,) = result.get_asset_materialization_events()
    assert event.asset_key == PREDICTIONS_KEY
    metadata = {key: value.value for key, value in event.materialization.metadata.items()}
    assert metadata["dagster/row_count"] == 400
    model_mae = metadata["backtest_mae_model"]
    assert isinstance(model_mae, float) and 0 < model_mae < 2
    assert "| 1 |" in str(metadata["backtest_deciles"])
    with open_warehouse(path, read_only=True) as connection:
        assert connection.fetchall(f"select count(*) from {PREDICTIONS.qualified}") == [(400,)]


def test_a_fit_giving_a_customer_no_finite_prediction_is_refused(tmp_path: Path) -> None:
    """a and b driven to 0 (seen fitting 41 customers of a 200-contact store): lifetimes
    returns NaN for customers with no repeat order, which no decimal column holds."""
    orders = pd.DataFrame(_orders(400), columns=["contact_id", "ordered_at", "net_total"])
    summary = summarize(orders, AS_OF)
    models = fit(summary, AS_OF)
    models.purchases.params_ = pd.Series({"r": 3.5, "alpha": 134.0, "a": 1e-10, "b": 3.6e-4})
    with pytest.raises(DegenerateFit, match=r"gives \d+ of 400 customers no finite prediction"):
        predict(models, summary)
