"""Which warehouse to open: the output of the project's dbt profile that dbt itself would
use (``profiles.yml``, profile ``nudge``, target from ``NUDGE_DBT_TARGET``), rendered by
dbt's own profile renderer so ``env_var(...)`` defaults and filters mean exactly what they
mean to dbt. Activation and dbt therefore always talk to the same warehouse.

A ``path`` given to ``open_warehouse`` is the DuckDB file and replaces the profile's
``path`` of a DuckDB target (tests and the CLI's ``--warehouse``); for another engine it
only names where local artifacts go, as in nudge/dbt_runner.py, and is not used here.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError
from .base import WarehouseConnection
from .duckdb_engine import DuckDBWarehouse

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROFILE_NAME = "nudge"
SUPPORTED = ("duckdb", "postgres", "snowflake")


@dataclass(frozen=True)
class WarehouseTarget:
    """One rendered output of the profile. ``settings`` may hold a password: kept out of
    ``repr`` so it is never logged."""

    name: str
    engine: str
    settings: Mapping[str, Any] = field(repr=False)


def warehouse_target(
    target: str | None = None,
    *,
    profiles_dir: Path = PROJECT_ROOT,
    env: Mapping[str, str] | None = None,
) -> WarehouseTarget:
    """The output ``target`` of the profile (default: the profile's own ``target:``, that
    is ``NUDGE_DBT_TARGET`` or ``duckdb``), rendered with ``env`` (default os.environ)."""
    environment = dict(os.environ if env is None else env)
    # dbt's env_var() reads an invocation context; set it in a copy of the current context
    # so nothing leaks into a dbt run made later in this process
    name, data = contextvars.copy_context().run(_render, profiles_dir, target, environment)
    engine = str(data.get("type", ""))
    return WarehouseTarget(name=name, engine=engine, settings=data)


def _render(
    profiles_dir: Path, target: str | None, env: dict[str, str]
) -> tuple[str, dict[str, Any]]:
    from dbt.config.profile import Profile, read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    set_invocation_context(env)
    profiles = read_profile(str(profiles_dir))
    if PROFILE_NAME not in profiles:
        raise ConfigurationError(f"no profile {PROFILE_NAME!r} in {profiles_dir}/profiles.yml")
    name, data = Profile.render_profile(
        profiles[PROFILE_NAME], PROFILE_NAME, target, ProfileRenderer({})
    )
    return str(name), dict(data)


def warehouse_exists(path: str | Path | None = None, *, target: str | None = None) -> bool:
    """Whether there is a warehouse to open without creating one: the DuckDB file (``path``
    or the profile's) exists; a server's database is taken to exist (connecting says)."""
    chosen = warehouse_target(target)
    if chosen.engine != "duckdb":
        return True
    return Path(path or str(chosen.settings["path"])).exists()


def open_warehouse(
    path: str | Path | None = None,
    *,
    read_only: bool = False,
    target: str | WarehouseTarget | None = None,
) -> WarehouseConnection:
    """A connection to the warehouse of the dbt target (see the module docstring)."""
    chosen = target if isinstance(target, WarehouseTarget) else warehouse_target(target)
    settings = chosen.settings
    if chosen.engine == "duckdb":
        return DuckDBWarehouse(
            path or str(settings["path"]),
            read_only=read_only,
            config=settings.get("settings") or {},
        )
    if chosen.engine == "postgres":
        from .postgres_engine import PostgresWarehouse

        return PostgresWarehouse(
            host=str(settings["host"]),
            port=int(settings.get("port", 5432)),
            user=str(settings["user"]),
            password=str(settings.get("password") or ""),
            dbname=str(settings.get("dbname") or settings.get("database")),
            read_only=read_only,
        )
    if chosen.engine == "snowflake":
        # dbt-snowflake's driver and credentials: imported only for this target
        from .snowflake_engine import SnowflakeWarehouse, connect_args

        return SnowflakeWarehouse(connect_args(settings))
    raise ConfigurationError(
        f"dbt target {chosen.name!r} is a {chosen.engine!r} warehouse; activation reaches "
        f"{', '.join(SUPPORTED[:-1])} and {SUPPORTED[-1]} so far (docs/warehouse_interface.md)"
    )
