"""One asset per declared audience sync (dbt exposures with `meta.nudge_sync`), downstream of
the `sync_*` model it reads, so the graph reads raw → models → sync → ESP.

Each materialization runs `activation.sync.run_sync` and records what it did as metadata;
its `failed_row_share` check reads the run back from `activation.sync_runs` and fails when
the destination rejected more than `NUDGE_SYNC_MAX_FAILED_SHARE` of the rows sent."""

from collections.abc import Iterator, Sequence
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
    multi_asset,
)
from dagster_dbt import get_asset_key_for_model

from activation.declarations import SyncDeclaration
from activation.leases import LeaseHeld
from activation.state import RUNS_TABLE
from activation.sync import SyncRunResult, run_sync
from orchestration.assets.leases import lease_held_results
from orchestration.assets.replays import replay_refusal_fails_the_asset
from orchestration.resources import EspResource, WarehouseResource
from orchestration.settings import orchestration_settings
from orchestration.translator import ACTIVATION_GROUP

FAILED_SHARE_CHECK = "failed_row_share"
SENT_MEASURES = ("added", "changed", "removed", "retried")


def sync_asset_key(declaration: SyncDeclaration) -> AssetKey:
    """`<destination>/<sync name>`: the node reads as the audience in that ESP."""
    return AssetKey([declaration.config.destination, declaration.name])


def sync_assets(
    declarations: Sequence[SyncDeclaration], dbt_assets: AssetsDefinition
) -> list[AssetsDefinition]:
    return [_sync_asset(declaration, dbt_assets) for declaration in declarations]


def _sync_asset(declaration: SyncDeclaration, dbt_assets: AssetsDefinition) -> AssetsDefinition:
    key = sync_asset_key(declaration)
    model = get_asset_key_for_model([dbt_assets], declaration.model_unique_id.split(".")[-1])
    cfg = declaration.config
    spec = AssetSpec(
        key,
        deps=[model],
        group_name=ACTIVATION_GROUP,
        description=declaration.description or f"Sync {declaration.name} to {cfg.destination}.",
        kinds={cfg.destination},
        metadata={
            "destination": cfg.destination,
            "object": cfg.object,
            "mode": cfg.mode,
            "list_name": cfg.list_name or "",
            "identifier": cfg.identifier.column,
            "declared_schedule": cfg.schedule or "",
            "model": MetadataValue.text(declaration.relation_name),
        },
    )
    check = AssetCheckSpec(
        FAILED_SHARE_CHECK,
        asset=key,
        description="Fails when the destination rejected more than NUDGE_SYNC_MAX_FAILED_SHARE "
        "(default 5%) of the rows this run sent (activation.sync_runs).",
    )

    @multi_asset(
        name=f"sync_{declaration.name}",
        specs=[spec],
        check_specs=[check],
        # one sync at a time per destination account keeps its sync_state consistent
        op_tags={"nudge/destination": cfg.destination},
    )
    def _sync(
        context: AssetExecutionContext,
        warehouse: ResourceParam[WarehouseResource],
        esp: ResourceParam[EspResource],
    ) -> Iterator[MaterializeResult | AssetCheckResult]:
        settings = esp.settings(cfg.destination)
        try:
            with replay_refusal_fails_the_asset():
                result = run_sync(declaration, warehouse.path, settings)
        except LeaseHeld as held:
            yield from lease_held_results(context, key, FAILED_SHARE_CHECK, held)
            return
        context.log.info(
            f"sync {declaration.name} {result.status}: "
            + ", ".join(f"{name}={getattr(result, name)}" for name in (*SENT_MEASURES, "failed"))
        )
        yield MaterializeResult(asset_key=key, metadata=run_metadata(result, settings.target))
        yield failed_share_check(key, warehouse, result.run_id)

    return _sync


def run_metadata(result: SyncRunResult, target: str) -> dict[str, Any]:
    """Every count of the run (adds, removes, failures, API calls, 429s, …) as metadata."""
    metadata: dict[str, Any] = {
        name: value
        for name, value in result.as_dict().items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }
    metadata["status"] = result.status
    metadata["run_id"] = result.run_id
    metadata["destination_target"] = target  # host + key fingerprint, never the key
    for reason, count in sorted(result.held_back_by_reason.items()):
        metadata[f"held_back_{reason}"] = count
    if result.errors:
        sample = "\n".join(f"- {key}: {reason}" for key, reason in list(result.errors.items())[:10])
        metadata["failed_rows_sample"] = MetadataValue.md(sample)
    return metadata


def failed_share_check(
    key: AssetKey, warehouse: WarehouseResource, run_id: str
) -> AssetCheckResult:
    threshold = orchestration_settings().max_failed_share
    columns = ", ".join(("failed", *SENT_MEASURES))
    with warehouse.read_only() as connection:
        rows = connection.fetchall(f"select {columns} from {RUNS_TABLE} where run_id = ?", [run_id])
    row = rows[0] if rows else None
    if row is None:
        return AssetCheckResult(
            asset_key=key,
            check_name=FAILED_SHARE_CHECK,
            passed=False,
            metadata={"run_id": run_id, "problem": f"run not found in {RUNS_TABLE}"},
        )
    failed, sent = int(row[0] or 0), sum(int(value or 0) for value in row[1:])
    share = failed / sent if sent else 0.0
    return AssetCheckResult(
        asset_key=key,
        check_name=FAILED_SHARE_CHECK,
        passed=share <= threshold,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "failed": failed,
            "sent": sent,
            "failed_share": round(share, 4),
            "threshold": threshold,
            "run_id": run_id,
        },
    )
