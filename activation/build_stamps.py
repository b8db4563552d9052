"""Build stamps: which ``as_of`` each model was last built as of, and when the build ran
(``nudge_meta.model_builds``, written by dbt's on-run-end hook
macros/activation/record_model_builds.sql). A build whose ``as_of`` is far behind the instant
it ran is a replay: it shows the past, and syncing or sending from it would push a past
audience or plan sends that later events cancelled. Activation refuses to, before it reads
anything (``require_live_build``): ``nudge build --as-of`` puts replays in their own
warehouse, and this guard catches a replay built into the live one some other way.

The tolerance between as_of and the build's own clock is ``NUDGE_REPLAY_TOLERANCE_MINUTES``
(default 10: well under the 15-minute trigger schedule).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from .errors import ActivationError, ConfigurationError
from .state import utcnow
from .warehouse import WarehouseConnection

STAMPS_SCHEMA = "nudge_meta"
STAMPS_TABLE = f"{STAMPS_SCHEMA}.model_builds"
REPLAY_TOLERANCE_ENV = "NUDGE_REPLAY_TOLERANCE_MINUTES"
DEFAULT_TOLERANCE = timedelta(minutes=10)
MAX_TOLERANCE_MINUTES = 525_600  # a year; a larger one would let any replay through

DDL = (
    f"create schema if not exists {STAMPS_SCHEMA}",
    f"""create table if not exists {STAMPS_TABLE} (
        relation varchar,
        as_of timestamp,
        built_at timestamp,
        invocation_id varchar
    )""",
)


class ReplayBuildError(ActivationError):
    """The model activation would read was built as a replay (or never stamped)."""


def replay_tolerance(env: Mapping[str, str] | None = None) -> timedelta:
    raw = (os.environ if env is None else env).get(REPLAY_TOLERANCE_ENV, "").strip()
    if not raw:
        return DEFAULT_TOLERANCE
    try:
        minutes = float(raw)
    except ValueError:
        minutes = math.nan
    if not 0 <= minutes <= MAX_TOLERANCE_MINUTES:
        raise ConfigurationError(
            f"{REPLAY_TOLERANCE_ENV}={raw!r} must be a number of minutes from 0 to "
            f"{MAX_TOLERANCE_MINUTES:,} "
            f"(unset it for the default, {DEFAULT_TOLERANCE.total_seconds() / 60:.0f})"
        )
    return timedelta(minutes=minutes)


def tolerance_text(tolerance: timedelta) -> str:
    return f"{tolerance.total_seconds() / 60:g} minutes ({REPLAY_TOLERANCE_ENV})"


def is_replay(as_of: datetime, built_at: datetime, tolerance: timedelta) -> bool:
    """A build as of ``as_of`` run at ``built_at`` shows the past (the one rule, also used
    by ``nudge build`` and the Dagster dbt asset before they build)."""
    return built_at - as_of > tolerance


@dataclass(frozen=True)
class BuildStamp:
    relation: str
    as_of: datetime
    built_at: datetime
    tolerance: timedelta = DEFAULT_TOLERANCE

    @property
    def is_replay(self) -> bool:
        return is_replay(self.as_of, self.built_at, self.tolerance)


def latest_build(warehouse: WarehouseConnection, relation: str) -> BuildStamp | None:
    """The newest stamp of ``relation`` ('schema.table'), or None. Of stamps with the same
    newest ``built_at`` (builds within one second), a replay wins: when in doubt, do not
    send."""
    if warehouse.columns(STAMPS_SCHEMA, "model_builds") is None:
        return None
    rows = warehouse.fetchall(
        f"select as_of, built_at from {STAMPS_TABLE} where relation = ?"
        f" and built_at = (select max(built_at) from {STAMPS_TABLE} where relation = ?)"
        " order by as_of",
        [relation, relation],
    )
    if not rows:
        return None
    as_of, built_at = rows[0]
    return BuildStamp(relation, as_of, built_at, replay_tolerance())


def require_live_build(warehouse: WarehouseConnection, relation: str) -> BuildStamp:
    """The newest stamp of ``relation``; ReplayBuildError when it was a replay or there is
    none (one line, saying what to do)."""
    stamp = latest_build(warehouse, relation)
    if stamp is None:
        raise ReplayBuildError(
            f"no build record for {relation} in {warehouse.location}: build it with `nudge build` "
            "(activation only syncs and sends from a build it knows is live)"
        )
    if stamp.is_replay:
        behind = stamp.built_at - stamp.as_of
        raise ReplayBuildError(
            f"{relation} was last built as of {stamp.as_of:%Y-%m-%d %H:%M} UTC at "
            f"{stamp.built_at:%Y-%m-%d %H:%M} UTC, a replay {_span(behind)} in the past: "
            "activation will not sync or send from it. Rebuild it as of now (`nudge build`); "
            "replays belong in their own warehouse (`nudge build --as-of`). Tolerance: "
            f"{tolerance_text(stamp.tolerance)}"
        )
    return stamp


def record_build_stamp(
    warehouse: WarehouseConnection, relation: str, as_of: datetime, built_at: datetime | None = None
) -> None:
    """Stamp ``relation`` as built as of ``as_of`` (for warehouses filled without dbt:
    tests, loaders); the same table and columns as the dbt hook."""
    for statement in DDL:
        warehouse.execute(statement)
    warehouse.execute(
        f"insert into {STAMPS_TABLE} values (?, ?, ?, 'recorded')",
        [relation, as_of, built_at or utcnow()],
    )


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.0f} days" if hours >= 48 else f"{hours:.1f} hours"
