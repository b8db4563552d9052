"""Resources: the warehouse file and the ESP settings, both from the environment.

dbt reads the same `NUDGE_WAREHOUSE` through profiles.yml, so the Python assets and the dbt
build always work on one file. ESP keys stay in `activation.settings.Secret` and never reach
run config, metadata or logs.

Neither has Dagster config (both read the environment at run time), so they are bare Python
objects, which assets, checks and sensors take as `ResourceParam[...]`: a ConfigurableResource
without fields makes Dagster read pydantic's deprecated `__fields__` (a warning at every load).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from activation.runs import destination_settings
from activation.settings import DestinationSettings
from nudge.paths import warehouse_path


class WarehouseBusyError(RuntimeError):
    """Another process holds the DuckDB file for writing (a dbt build or a sync)."""


class WarehouseResource:
    """The DuckDB warehouse: `NUDGE_WAREHOUSE`, else `warehouse/nudge.duckdb`."""

    @property
    def path(self) -> Path:
        return warehouse_path()

    @contextmanager
    def read_only(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection; WarehouseBusyError while a writer holds the file."""
        try:
            connection = duckdb.connect(str(self.path), read_only=True)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise WarehouseBusyError(f"{self.path} is locked by another process") from None
            raise
        try:
            yield connection
        finally:
            connection.close()


class EspResource:
    """Destination settings (base URL, key) from the environment, e.g. `KLAVIYO_BASE_URL` and
    `KLAVIYO_API_KEY`; read at run time, so the UI loads without any key set."""

    def settings(self, destination: str) -> DestinationSettings:
        return destination_settings(destination)
