"""One prediction run: read the order history, backtest on its last 90 days, fit on all of
it, and replace ``predictions.contact_predictions``. The CLI and Dagster both call this."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from activation.warehouse import WarehouseConnection
from nudge.dbt_relations import relation_name

from .backtest import Backtest, run_backtest
from .model import HORIZON_DAYS, fit, predict, summarize
from .purchase_history import ORDERS_MODEL, read_orders
from .store import replace_predictions


@dataclass(frozen=True)
class PredictionRun:
    observed_until: datetime
    contacts: int
    parameters: dict[str, float]
    backtest: Backtest
    predictions: pd.DataFrame


def run_predictions(
    connection: WarehouseConnection,
    manifest: Mapping[str, Any],
    as_of: datetime,
    fitted_at: datetime,
) -> PredictionRun:
    """Predictions as of ``as_of`` (orders after it are ignored, as in a replay)."""
    orders = read_orders(connection, relation_name(manifest, ORDERS_MODEL), as_of)
    backtest = run_backtest(orders, as_of, HORIZON_DAYS)
    summary = summarize(orders, as_of)
    models = fit(summary, as_of)
    predictions = predict(models, summary)
    contacts = replace_predictions(connection, predictions, as_of, fitted_at)
    parameters = {
        **{f"bgnbd_{k}": float(v) for k, v in models.purchases.params_.items()},
        **{f"gamma_gamma_{k}": float(v) for k, v in models.order_value.params_.items()},
    }
    return PredictionRun(as_of, contacts, parameters, backtest, predictions)
