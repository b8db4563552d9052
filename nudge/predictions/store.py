"""``predictions.contact_predictions``: the latest fit's predictions, one row per customer,
replaced whole in one transaction so readers never see half of two fits."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from activation.warehouse import WarehouseConnection
from activation.warehouse.tables import Table, double, text, timestamp

PREDICTIONS = Table(
    "predictions",
    "contact_predictions",
    (
        text("contact_id", nullable=False),
        double("churn_probability", nullable=False),
        double("expected_orders_90d", nullable=False),
        double("expected_order_value", nullable=False),
        double("predicted_clv_365d", nullable=False),
        timestamp("observed_until", nullable=False),
        timestamp("fitted_at", nullable=False),
    ),
    primary_key=("contact_id",),
)


def replace_predictions(
    connection: WarehouseConnection,
    predictions: pd.DataFrame,
    observed_until: datetime,
    fitted_at: datetime,
) -> int:
    connection.ensure_table(PREDICTIONS)
    values = predictions[list(PREDICTIONS.column_names[:5])].itertuples(index=False)
    rows = [(str(row[0]), *map(float, row[1:]), observed_until, fitted_at) for row in values]
    with connection.transaction():
        connection.execute(f"delete from {PREDICTIONS.qualified}")
        connection.insert_rows(PREDICTIONS.qualified, PREDICTIONS.column_names, rows)
    return len(rows)
