"""Resources: the warehouse and the ESP settings, both from the environment.

The warehouse is the dbt profile's target (`NUDGE_DBT_TARGET`; for DuckDB the file
`NUDGE_WAREHOUSE`), opened through activation's one warehouse interface, so the Python assets
and the dbt build always work on the same warehouse, whichever engine it is. ESP keys stay
in `activation.settings.Secret` and never reach run config, metadata or logs.

Neither has Dagster config (both read the environment at run time), so they are bare Python
objects, which assets, checks and sensors take as `ResourceParam[...]`: a ConfigurableResource
without fields makes Dagster read pydantic's deprecated `__fields__` (a warning at every load).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from activation.runs import destination_settings
from activation.settings import DestinationSettings
from activation.warehouse import WarehouseConnection, open_warehouse
from nudge.paths import warehouse_path


class WarehouseResource:
    """The dbt target's warehouse; `path` is the DuckDB file (`NUDGE_WAREHOUSE`, else
    `warehouse/nudge.duckdb`), which another engine's target ignores."""

    @property
    def path(self) -> Path:
        return warehouse_path()

    @contextmanager
    def read_only(self) -> Iterator[WarehouseConnection]:
        """A read-only connection; activation.warehouse.WarehouseBusyError while a writer
        holds a DuckDB file."""
        with open_warehouse(self.path, read_only=True) as connection:
            yield connection


class EspResource:
    """Destination settings (base URL, key) from the environment, e.g. `KLAVIYO_BASE_URL` and
    `KLAVIYO_API_KEY`; read at run time, so the UI loads without any key set."""

    def settings(self, destination: str) -> DestinationSettings:
        return destination_settings(destination)
