"""Schedules: the trigger job every few minutes, the hourly build, the daily full refresh,
and each declared sync's own `schedule:`. Every tick skips while another warehouse run is
unfinished (orchestration/run_guard.py). All are off until switched on in the UI."""

from collections.abc import Sequence

from dagster import (
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from orchestration.jobs import AssetJob
from orchestration.run_guard import busy_reason
from orchestration.settings import OrchestrationSettings

# minutes past the hour, so the hourly and daily ticks never coincide with a trigger tick
HOURLY_MINUTE = 7
DAILY_MINUTE = 37


def guarded_schedule(name: str, cron: str, job: AssetJob, description: str) -> ScheduleDefinition:
    @schedule(
        name=name,
        cron_schedule=cron,
        job=job,
        execution_timezone="UTC",
        description=description,
    )
    def _guarded(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
        reason = busy_reason(context.instance)
        if reason:
            return SkipReason(reason)
        return RunRequest(tags={"nudge/scheduled_at": _tick(context)})

    return _guarded


def _tick(context: ScheduleEvaluationContext) -> str:
    when = context.scheduled_execution_time
    return when.isoformat() if when else ""


def nudge_schedules(
    settings: OrchestrationSettings,
    trigger: AssetJob,
    hourly: AssetJob,
    daily: AssetJob,
    declared_syncs: Sequence[tuple[str, str, AssetJob]],
) -> list[ScheduleDefinition]:
    schedules = [
        guarded_schedule(
            "trigger_schedule",
            settings.trigger_cron,
            trigger,
            f"Trigger job every {settings.trigger_interval_minutes} minutes.",
        ),
        guarded_schedule(
            "hourly_build_schedule",
            f"{HOURLY_MINUTE} * * * *",
            hourly,
            "Incremental build of everything and every sync, hourly.",
        ),
        guarded_schedule(
            "daily_full_refresh_schedule",
            f"{DAILY_MINUTE} {settings.daily_refresh_hour_utc} * * *",
            daily,
            "Full refresh of contacts, RFM and segments, daily "
            f"({settings.daily_refresh_hour_utc:02d}:{DAILY_MINUTE} UTC).",
        ),
    ]
    for name, cron, job in declared_syncs:
        schedules.append(
            guarded_schedule(
                f"sync_{name}_schedule", cron, job, f"Sync {name}: `{cron}`, as declared."
            )
        )
    return schedules
