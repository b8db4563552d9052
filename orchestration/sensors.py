"""Start the trigger job when new raw rows land: the newest `received_at` of any raw table
moved past what the sensor last saw (its cursor)."""

import hashlib
import json
from collections.abc import Sequence

from dagster import (
    DefaultSensorStatus,
    ResourceParam,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from activation.warehouse import WarehouseBusyError
from orchestration.jobs import AssetJob
from orchestration.raw_sources import RawSource, watermarks
from orchestration.resources import WarehouseResource
from orchestration.run_guard import busy_reason

SENSOR_NAME = "raw_data_sensor"


def raw_data_sensor(trigger: AssetJob, sources: Sequence[RawSource]) -> SensorDefinition:
    @sensor(
        name=SENSOR_NAME,
        job=trigger,
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.STOPPED,
        description="Starts the trigger job when a raw table's newest received_at advances.",
    )
    def _raw_data(
        context: SensorEvaluationContext, warehouse: ResourceParam[WarehouseResource]
    ) -> RunRequest | SkipReason:
        try:
            with warehouse.read_only() as connection:
                current = watermarks(connection, list(sources))
        except WarehouseBusyError as exc:
            return SkipReason(f"{exc}; will look again")
        seen = json.loads(context.cursor) if context.cursor else {}
        advanced = sorted(
            name
            for name, mark in current.items()
            if mark is not None and (seen.get(name) is None or mark > seen[name])
        )
        if not advanced:
            return SkipReason("no raw table received new rows")
        reason = busy_reason(context.instance)
        if reason:  # the cursor stays put, so the next evaluation tries again
            return SkipReason(reason)
        cursor = json.dumps(current, sort_keys=True)
        context.update_cursor(cursor)
        return RunRequest(
            run_key=hashlib.sha256(cursor.encode()).hexdigest()[:16],
            tags={"nudge/new_raw_data": ",".join(advanced)},
        )

    return _raw_data
