"""How the sync and send assets treat a run lease held by another run (activation/leases.py),
for example a `nudge send` started from a terminal while the schedule ticks: the asset does
nothing, records the holder as its materialization's metadata, and its check warns, so the tick
succeeds without paging anyone and the UI says why nothing was sent. The other run is doing the
work; if it died, its lease lapses and the next tick goes ahead."""

from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
)

from activation.leases import LeaseHeld

LEASE_HELD_STATUS = "not_run_lease_held"


def lease_held_results(
    context: AssetExecutionContext, key: AssetKey, check_name: str, held: LeaseHeld
) -> Iterator[MaterializeResult | AssetCheckResult]:
    context.log.warning(f"{key.to_user_string()} not run: {held}")
    yield MaterializeResult(
        asset_key=key, metadata={"status": LEASE_HELD_STATUS, "lease_held": str(held)}
    )
    yield AssetCheckResult(
        asset_key=key,
        check_name=check_name,
        passed=False,
        severity=AssetCheckSeverity.WARN,
        description=f"this run did nothing: {held}",
        metadata={"status": LEASE_HELD_STATUS},
    )
