"""`nudge erase` deletes the person's row of predictions.contact_predictions at once (it is
computed beside dbt, so no build would drop it before the next fit), and `nudge export`
includes it. Hand-made warehouse: contact_profiles and the predictions table, as
`nudge predict` writes it; no destination holds the person, so no ESP is called."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from activation.runs import erase_contact
from activation.settings import DestinationSettings
from activation.warehouse import Warehouse
from nudge.export_command import export_person
from nudge.predictions.store import PREDICTIONS, replace_predictions

AS_OF = datetime(2026, 11, 1)
CONTACTS = {"c-1": "ada@example.com", "c-2": "grace@example.com", "c-3": "alan@example.com"}


def _no_destination(name: str) -> DestinationSettings:
    raise AssertionError(f"nothing was synced, yet {name} was asked for settings")


def _warehouse(path: Path) -> Path:
    with Warehouse(path) as connection:
        connection.execute("create schema contacts")
        connection.execute(
            "create table contacts.contact_profiles (contact_id varchar, email varchar)"
        )
        connection.insert_rows(
            "contacts.contact_profiles", ["contact_id", "email"], list(CONTACTS.items())
        )
        predictions = pd.DataFrame(
            {
                "contact_id": list(CONTACTS),
                "churn_probability": [0.1, 0.8, 0.4],
                "expected_orders_90d": [2.0, 0.1, 0.7],
                "expected_order_value": [50.0, 30.0, 40.0],
                "predicted_clv_365d": [400.0, 10.0, 90.0],
            }
        )
        replace_predictions(connection, predictions, AS_OF, AS_OF)
    return path


def test_erase_deletes_the_persons_prediction_and_export_shows_it(tmp_path: Path) -> None:
    path = _warehouse(tmp_path / "nudge.duckdb")
    exported = export_person(path, "Grace@Example.com ")
    assert PREDICTIONS.qualified in exported and '"churn_probability": 0.8' in exported

    dry = erase_contact(path, "grace@example.com", _no_destination, dry_run=True)
    assert dry.rows_deleted[PREDICTIONS.qualified] == 1

    erasure = erase_contact(path, "grace@example.com", _no_destination)
    assert erasure.rows_deleted[PREDICTIONS.qualified] == 1
    with Warehouse(path) as connection:
        left = connection.fetchall(f"select contact_id from {PREDICTIONS.qualified} order by 1")
    assert left == [("c-1",), ("c-3",)]
