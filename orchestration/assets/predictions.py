"""Churn, expected orders and CLV per customer (nudge.predictions) as an asset downstream of
the order history: each materialization refits on the warehouse's orders, replaces
predictions.contact_predictions, and attaches the backtest so the UI says whether to trust
the numbers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
    multi_asset,
)

from activation.state import utcnow
from activation.warehouse import open_warehouse
from nudge.predictions.run import PredictionRun, run_predictions
from nudge.predictions.store import PREDICTIONS
from orchestration.project import ensure_manifest
from orchestration.resources import WarehouseResource

PREDICTIONS_KEY = AssetKey([PREDICTIONS.schema, PREDICTIONS.name])


def predictions_asset(orders: AssetKey, group_name: str) -> AssetsDefinition:
    spec = AssetSpec(
        PREDICTIONS_KEY,
        deps=[orders],
        group_name=group_name,
        kinds={"python"},
        description="Per customer: churn probability, expected orders in 90 days and "
        "12-month CLV from BG/NBD + Gamma-Gamma fitted on the order history "
        "(docs/predictions.md), with a 90-day holdout backtest against a naive baseline.",
    )

    @multi_asset(name="contact_predictions_fit", specs=[spec])
    def _fit(warehouse: ResourceParam[WarehouseResource]) -> Iterator[MaterializeResult]:
        manifest = json.loads(ensure_manifest().read_text())
        now = utcnow()
        with open_warehouse(warehouse.path) as connection:
            run = run_predictions(connection, manifest, now, now)
        yield MaterializeResult(asset_key=PREDICTIONS_KEY, metadata=predictions_metadata(run))

    return _fit


def predictions_metadata(run: PredictionRun) -> dict[str, Any]:
    backtest = run.backtest
    lines = ["| decile | customers | predicted | baseline | actual |", "|---|---|---|---|---|"]
    for decile, customers, *means in backtest.deciles.itertuples(index=False):
        lines.append(f"| {decile} | {customers} | " + " | ".join(f"{m:.2f}" for m in means) + " |")
    return {
        "dagster/row_count": run.contacts,
        "observed_until": str(run.observed_until),
        "backtest_mae_model": round(backtest.model_mae, 4),
        "backtest_mae_naive_baseline": round(backtest.baseline_mae, 4),
        "backtest_purchases": MetadataValue.json(
            {
                "actual": backtest.actual_orders,
                "model": round(backtest.model_orders, 1),
                "baseline": round(backtest.baseline_orders, 1),
            }
        ),
        "backtest_deciles": MetadataValue.md("\n".join(lines)),
        "parameters": MetadataValue.json({k: round(v, 6) for k, v in run.parameters.items()}),
    }
