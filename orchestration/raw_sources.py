"""The raw tables as dbt declares them (dbt sources): where they are, which column says when a
row landed, and how stale they may get (`freshness:` in models/staging/_staging__sources.yml).
The freshness checks and the new-raw-data sensor both read these, so dbt stays the one place
those rules are written."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from dagster import AssetKey

from activation.state import utcnow
from activation.warehouse import WarehouseConnection, quote

RAW_SOURCE = "raw"  # the dbt source of the raw contract (docs/contracts/raw_events.md)
_PERIODS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


@dataclass(frozen=True)
class RawSource:
    key: AssetKey
    schema: str
    table: str
    loaded_at_field: str
    warn_after: timedelta | None
    error_after: timedelta | None
    description: str

    @property
    def name(self) -> str:
        return self.key.to_user_string()


def raw_sources(manifest_path: Path) -> list[RawSource]:
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    sources = []
    for props in manifest.get("sources", {}).values():
        if props["source_name"] != RAW_SOURCE:  # e.g. activation.send_ledger, written by us
            continue
        freshness = props.get("freshness") or {}
        sources.append(
            RawSource(
                key=AssetKey([props["source_name"], props["name"]]),
                schema=props["schema"],
                table=props["identifier"],
                loaded_at_field=props.get("loaded_at_field") or "received_at",
                warn_after=_delta(freshness.get("warn_after")),
                error_after=_delta(freshness.get("error_after")),
                description=props.get("description") or "",
            )
        )
    return sorted(sources, key=lambda source: source.name)


def _delta(rule: Mapping[str, Any] | None) -> timedelta | None:
    if not rule or rule.get("count") is None or rule.get("period") is None:
        return None
    return int(rule["count"]) * _PERIODS[str(rule["period"])]


def newest_loaded_at(
    connection: WarehouseConnection, source: RawSource, now: datetime | None = None
) -> tuple[datetime | None, int]:
    """(max loaded_at up to ``now``, row count) of one raw table; (None, 0) when it does not
    exist yet. A row stamped as landing in the future (a collector's clock) is left out:
    it would make a stalled table look fresh until that date, and staging holds it anyway."""
    if connection.columns(source.schema, source.table) is None:
        return None, 0
    column = quote(source.loaded_at_field)
    [(newest, rows)] = connection.fetchall(
        f"select max(case when {column} <= ? then {column} end), count(*)"
        f" from {quote(source.schema)}.{quote(source.table)}",
        [now or utcnow()],
    )
    return newest, int(rows)


def watermarks(connection: WarehouseConnection, sources: list[RawSource]) -> dict[str, str | None]:
    """Newest loaded_at per raw table, as ISO text (None: empty or missing)."""
    marks: dict[str, str | None] = {}
    for source in sources:
        newest, _ = newest_loaded_at(connection, source)
        marks[source.name] = newest.isoformat() if newest else None
    return marks
