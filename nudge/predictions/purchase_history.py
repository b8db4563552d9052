"""The order history the models are fitted on: one row per order that kept some value after
refunds (int_orders_netted), for contacts known by id, up to an instant."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from activation.warehouse import WarehouseConnection

ORDERS_MODEL = "int_orders_netted"
COLUMNS = ["contact_id", "ordered_at", "net_total"]


def read_orders(connection: WarehouseConnection, relation: str, until: datetime) -> pd.DataFrame:
    rows = connection.fetchall(
        f"select contact_id, ordered_at, net_total from {relation}"
        " where contact_id is not null and net_total > 0 and ordered_at <= ?"
        " order by contact_id, ordered_at",
        [until],
    )
    orders = pd.DataFrame(rows, columns=COLUMNS)
    orders["net_total"] = orders["net_total"].astype(float)
    orders["ordered_at"] = pd.to_datetime(orders["ordered_at"])
    return orders
