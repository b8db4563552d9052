"""Hold out the last days of history: fit on what came before, predict each customer's orders
in the held-out days, and compare with what they did, against a naive baseline (each
customer keeps their own past rate of repeat orders)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from lifetimes.utils import calibration_and_holdout_data

from .model import fit

DECILES = 10


@dataclass(frozen=True)
class Backtest:
    calibration_end: datetime
    holdout_days: int
    customers: int
    actual_orders: float
    model_orders: float
    baseline_orders: float
    model_mae: float
    baseline_mae: float
    deciles: pd.DataFrame  # decile (1 = highest predicted), customers, predicted, baseline, actual


def run_backtest(orders: pd.DataFrame, observed_until: datetime, holdout_days: int) -> Backtest:
    """Customers are those with an order before the holdout starts; "orders" in the holdout
    are days with an order, as the model counts them."""
    calibration_end = observed_until - timedelta(days=holdout_days)
    data = calibration_and_holdout_data(
        orders,
        "contact_id",
        "ordered_at",
        calibration_period_end=pd.Timestamp(calibration_end),
        observation_period_end=pd.Timestamp(observed_until),
        freq="D",
        monetary_value_col="net_total",
    )
    summary = data.rename(
        columns={
            "frequency_cal": "frequency",
            "recency_cal": "recency",
            "T_cal": "T",
            "monetary_value_cal": "monetary_value",
        }
    )
    models = fit(summary, calibration_end)
    predicted = models.purchases.conditional_expected_number_of_purchases_up_to_time(
        holdout_days, summary["frequency"], summary["recency"], summary["T"]
    ).to_numpy()
    baseline = (summary["frequency"] / summary["T"].clip(lower=1) * holdout_days).to_numpy()
    actual = data["frequency_holdout"].to_numpy(dtype=float)
    return Backtest(
        calibration_end=calibration_end,
        holdout_days=holdout_days,
        customers=len(data),
        actual_orders=float(actual.sum()),
        model_orders=float(predicted.sum()),
        baseline_orders=float(baseline.sum()),
        model_mae=float(np.abs(predicted - actual).mean()),
        baseline_mae=float(np.abs(baseline - actual).mean()),
        deciles=_deciles(predicted, baseline, actual),
    )


def _deciles(predicted: np.ndarray, baseline: np.ndarray, actual: np.ndarray) -> pd.DataFrame:
    """Customers ranked by predicted orders, cut into ten equal groups (1 = highest): mean
    predicted, baseline and actual orders per customer in each."""
    order = np.argsort(-predicted, kind="stable")
    groups = np.array_split(order, DECILES)
    return pd.DataFrame(
        {
            "decile": range(1, DECILES + 1),
            "customers": [len(group) for group in groups],
            "predicted": [predicted[group].mean() for group in groups],
            "baseline": [baseline[group].mean() for group in groups],
            "actual": [actual[group].mean() for group in groups],
        }
    )
