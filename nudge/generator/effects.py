"""Plant a known effect in a built warehouse, so measurement can be checked against the
truth (tests/test_measurement_known_truth.py).

``plant_conversion_effect`` reads the experiment units of one trigger from
``triggers.triggered_sends`` — one per (contact_id, series_id) with a step 'sent' (arm
'sent') or else 'held_out' (arm 'held_out'), exposed at its first such step's due_at — and
writes an ``Order Completed`` raw event for each unit that converts: held-out units convert
with probability ``base_rate``, sent ones with ``base_rate + lift``, at a time drawn inside
the conversion window. Draws are hashes of (seed, trigger, contact, series): the same call
plants the same orders, whatever the row order. A variant effect on clicks is planted in the
ESP instead: the sandboxes' ``EngagementConfig(effects={"variant:B": ...})``.

The generator's defaults are untouched: nothing here runs unless called.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import duckdb

from nudge.raw_contract import RAW_COLUMNS

TRIGGERED_SENDS = "triggers.triggered_sends"


@dataclass(frozen=True)
class PlantedEffect:
    trigger_key: str
    units: dict[str, int]  # arm -> units
    conversions: dict[str, int]  # arm -> planted orders (one per converting unit)

    def rate(self, arm: str) -> float:
        return self.conversions[arm] / self.units[arm] if self.units[arm] else 0.0


def _uniform(*parts: object) -> float:
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).digest()
    return float(struct.unpack(">Q", digest[:8])[0] >> 11) / float(1 << 53)


def plant_conversion_effect(
    warehouse: str | Path,
    trigger_key: str,
    *,
    base_rate: float,
    lift: float,
    seed: int = 0,
    window_days: int = 7,
    order_total: float = 60.0,
) -> PlantedEffect:
    """Write planted conversions for ``trigger_key`` (module docstring); returns what was
    planted per arm."""
    if not 0.0 <= base_rate <= 1.0 or not 0.0 <= base_rate + lift <= 1.0:
        raise ValueError(
            f"base_rate ({base_rate}) and base_rate + lift ({base_rate + lift}) must be "
            "between 0 and 1"
        )
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1, got {window_days}")
    with duckdb.connect(str(warehouse)) as con:
        units = con.execute(
            f"""
            select
                contact_id,
                series_id,
                case when max(case when status = 'sent' then 1 else 0 end) = 1
                    then 'sent' else 'held_out' end as arm,
                min(due_at) as exposed_at
            from {TRIGGERED_SENDS}
            where trigger_key = ? and status in ('sent', 'held_out')
            group by contact_id, series_id
            order by contact_id, series_id
            """,
            [trigger_key],
        ).fetchall()
        counts = {"sent": 0, "held_out": 0}
        converted = {"sent": 0, "held_out": 0}
        rows = []
        window = timedelta(days=window_days) - timedelta(hours=2)
        for contact_id, series_id, arm, exposed_at in units:
            counts[arm] += 1
            rate = base_rate + (lift if arm == "sent" else 0.0)
            if _uniform(seed, "convert", trigger_key, contact_id, series_id) >= rate:
                continue
            converted[arm] += 1
            key = hashlib.sha256(
                f"{seed}|{trigger_key}|{contact_id}|{series_id}".encode()
            ).hexdigest()
            order_id = "planted-" + key[:20]
            ordered_at = exposed_at + timedelta(hours=1) + window * _uniform(seed, "when", key)
            rows.append(
                (
                    "planted-order-" + key[:24],
                    "Order Completed",
                    contact_id,
                    None,
                    ordered_at,
                    ordered_at,
                    json.dumps({"order_id": order_id, "total": order_total, "currency": "USD"}),
                    json.dumps({"channel": "web"}),
                )
            )
        names = ", ".join(f'"{name}"' for name, _ in RAW_COLUMNS["events"])
        placeholders = ", ".join("?" for _ in RAW_COLUMNS["events"])
        if rows:
            con.executemany(f"insert into raw.events ({names}) values ({placeholders})", rows)
    return PlantedEffect(trigger_key, counts, converted)
