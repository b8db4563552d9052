"""Fit BG/NBD and Gamma-Gamma on an order history and predict, per contact: the probability
they are still a customer, their expected orders over a horizon and their value over a year.

Time is counted in days. A contact's first order starts their clock; ``frequency`` is the
number of later days with an order (lifetimes' definition: orders on one day are one
purchase). Gamma-Gamma needs a repeat purchase, so contacts with one order get the value
their expected purchases times the population's fitted mean order value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data

# a little L2 on the parameters keeps the fit finite on small or odd stores
PENALIZER = 0.001
HORIZON_DAYS = 90
CLV_MONTHS = 12
MONTHLY_DISCOUNT_RATE = 0.01
MIN_CUSTOMERS = 20
MIN_REPEAT_CUSTOMERS = 10


class NotEnoughHistory(ValueError):
    """Too few customers or repeat customers to fit on; the message says how many."""


class DegenerateFit(ValueError):
    """The fitted parameters give some customer no finite prediction (on a small history
    BG/NBD can drive a and b to 0, where lifetimes' formulas return NaN)."""


@dataclass(frozen=True)
class FittedModels:
    purchases: BetaGeoFitter
    order_value: GammaGammaFitter
    observed_until: datetime


def summarize(orders: pd.DataFrame, until: datetime) -> pd.DataFrame:
    """frequency, recency, T (days) and monetary_value (mean repeat order value) per contact."""
    return summary_data_from_transaction_data(
        orders,
        "contact_id",
        "ordered_at",
        monetary_value_col="net_total",
        observation_period_end=pd.Timestamp(until),
        freq="D",
    )


def fit(summary: pd.DataFrame, observed_until: datetime) -> FittedModels:
    repeat = summary[summary["frequency"] > 0]
    if len(summary) < MIN_CUSTOMERS or len(repeat) < MIN_REPEAT_CUSTOMERS:
        raise NotEnoughHistory(
            f"{len(summary)} customers and {len(repeat)} with a repeat order before "
            f"{observed_until:%Y-%m-%d}: at least {MIN_CUSTOMERS} and {MIN_REPEAT_CUSTOMERS} "
            "are needed to fit the purchase models"
        )
    purchases = BetaGeoFitter(penalizer_coef=PENALIZER)
    purchases.fit(summary["frequency"], summary["recency"], summary["T"])
    order_value = GammaGammaFitter(penalizer_coef=PENALIZER)
    order_value.fit(repeat["frequency"], repeat["monetary_value"])
    return FittedModels(purchases, order_value, observed_until)


def predict(models: FittedModels, summary: pd.DataFrame) -> pd.DataFrame:
    """contact_id, churn_probability (1 - the probability the contact is still a customer),
    expected_orders_90d, expected_order_value and predicted_clv_365d (discounted monthly)."""
    bgnbd, gamma = models.purchases, models.order_value
    frequency, recency, age = summary["frequency"], summary["recency"], summary["T"]
    value = gamma.conditional_expected_average_profit(frequency, summary["monetary_value"])
    clv = gamma.customer_lifetime_value(
        bgnbd,
        frequency,
        recency,
        age,
        summary["monetary_value"],
        time=CLV_MONTHS,
        discount_rate=MONTHLY_DISCOUNT_RATE,
        freq="D",
    )
    predictions = pd.DataFrame(
        {
            "contact_id": summary.index.astype(str),
            "churn_probability": 1 - bgnbd.conditional_probability_alive(frequency, recency, age),
            "expected_orders_90d": bgnbd.conditional_expected_number_of_purchases_up_to_time(
                HORIZON_DAYS, frequency, recency, age
            ),
            "expected_order_value": value.to_numpy(),
            "predicted_clv_365d": clv.to_numpy(),
        }
    ).reset_index(drop=True)
    require_finite(models, predictions)
    return predictions


def require_finite(models: FittedModels, predictions: pd.DataFrame) -> None:
    """A NaN stored would fail every dbt build reading the table (no decimal holds it) and
    reach ESPs as a property, so such a fit is refused before anything is written."""
    values = predictions.drop(columns="contact_id").to_numpy(dtype=float)
    broken = int((~np.isfinite(values)).any(axis=1).sum())
    if broken:
        parameters = ", ".join(f"{k}={v:.3g}" for k, v in models.purchases.params_.items())
        raise DegenerateFit(
            f"the purchase model fitted on orders to {models.observed_until:%Y-%m-%d} "
            f"({parameters}) gives {broken} of {len(predictions)} customers no finite "
            "prediction; fit on a longer history (a later --as-of or more customers)"
        )
