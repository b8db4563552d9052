"""`nudge predict`: fit the purchase models on the warehouse's orders, store each customer's
predictions, and print the backtest that says whether to trust them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.console import Console

from activation.state import utcnow
from activation.warehouse import open_warehouse
from nudge.dbt_manifest import load_manifest
from nudge.errors import UserError
from nudge.predictions.model import DegenerateFit, NotEnoughHistory
from nudge.predictions.run import PredictionRun, run_predictions
from nudge.predictions.store import PREDICTIONS
from nudge.tabular_output import print_rows


def predict(console: Console, warehouse: Path, as_of: datetime | None) -> PredictionRun:
    manifest = load_manifest(warehouse)
    fitted_at = utcnow()
    try:
        with open_warehouse(warehouse) as connection:
            run = run_predictions(connection, manifest, as_of or fitted_at, fitted_at)
    except (NotEnoughHistory, DegenerateFit, KeyError) as error:
        raise UserError(f"nudge predict: {error}") from error
    _print(console, run)
    return run


def _print(console: Console, run: PredictionRun) -> None:
    backtest = run.backtest
    console.print(
        f"{run.contacts:,} customers predicted as of {run.observed_until:%Y-%m-%d %H:%M} UTC"
        f" into {PREDICTIONS.qualified}"
    )
    console.print(
        f"Backtest: fitted on orders to {backtest.calibration_end:%Y-%m-%d}, "
        f"{backtest.customers:,} customers, their purchases in the {backtest.holdout_days} days "
        f"after: actual {backtest.actual_orders:,.0f}, model {backtest.model_orders:,.0f}, "
        f"naive baseline {backtest.baseline_orders:,.0f}. Mean absolute error per customer: "
        f"model {backtest.model_mae:.3f}, baseline {backtest.baseline_mae:.3f}."
    )
    rows = [
        (int(decile), int(customers), *(f"{mean:.2f}" for mean in means))
        for decile, customers, *means in backtest.deciles.itertuples(index=False)
    ]
    print_rows(
        console,
        ["decile", "customers", "predicted", "baseline", "actual"],
        rows,
        title="Purchases per customer in the held-out days, by decile of the prediction",
        numeric=["decile", "customers", "predicted", "baseline", "actual"],
    )
