"""The assets that talk to the triggered-sends ESP (NUDGE_SENDS_DESTINATION, default klaviyo):

- the feedback pull, upstream of raw.events: suppressions made in the ESP (unsubscribes,
  hard bounces, spam complaints) land as raw events (activation.sends.read_back_suppressions);
- the triggered sends, downstream of triggers.triggered_sends: every due send delivered as
  an ESP event keyed by its send_key, through the send ledger (activation.sends.run_sends).

Opens and clicks are not pulled back yet: activation has no engagement read-back (only the
sandbox simulates them), so the pull lands suppressions only."""

from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from activation.sends import read_back_suppressions, run_sends
from orchestration.resources import EspResource, WarehouseResource
from orchestration.translator import RAW_GROUP

SENDS_GROUP = "activation"


def feedback_pull_key(destination: str) -> AssetKey:
    return AssetKey([destination, "feedback_pull"])


def triggered_sends_key(destination: str) -> AssetKey:
    return AssetKey([destination, "triggered_sends"])


def feedback_pull_asset(destination: str) -> AssetsDefinition:
    key = feedback_pull_key(destination)
    spec = AssetSpec(
        key,
        group_name=RAW_GROUP,
        kinds={destination},
        description=f"Suppressions made in {destination} since the last pull, landed in "
        "raw.events (and activation.esp_suppressions) so the next build and send skip them.",
    )

    @multi_asset(name=f"{destination}_feedback_pull", specs=[spec])
    def _pull(
        context: AssetExecutionContext, warehouse: WarehouseResource, esp: EspResource
    ) -> Iterator[MaterializeResult]:
        result = read_back_suppressions(warehouse.path, esp.settings(destination))
        context.log.info(
            f"pulled {result.pulled} suppressions ({result.new} new), "
            f"{result.landed_events} raw events"
        )
        metadata: dict[str, Any] = {
            name: value for name, value in asdict(result).items() if isinstance(value, int)
        }
        metadata["since"] = result.since.isoformat() if result.since else "the beginning"
        yield MaterializeResult(asset_key=key, metadata=metadata)

    return _pull


def triggered_sends_asset(destination: str, model: AssetKey) -> AssetsDefinition:
    key = triggered_sends_key(destination)
    spec = AssetSpec(
        key,
        deps=[model],
        group_name=SENDS_GROUP,
        kinds={destination},
        description=f"Every due row of triggers.triggered_sends sent to {destination} as an "
        "event (unique_id = send_key) through activation.send_ledger: at most once per send.",
    )

    @multi_asset(name=f"{destination}_triggered_sends", specs=[spec])
    def _send(
        context: AssetExecutionContext, warehouse: WarehouseResource, esp: EspResource
    ) -> Iterator[MaterializeResult]:
        settings = esp.settings(destination)
        result = run_sends(warehouse.path, settings)
        context.log.info(
            f"sends {result.status}: sent={result.sent} failed={result.failed} "
            f"skipped={result.skipped} not_attempted={result.not_attempted}"
        )
        yield MaterializeResult(asset_key=key, metadata=sends_metadata(result, settings.target))

    return _send


def sends_metadata(result: Any, target: str) -> dict[str, Any]:
    """Counts of the run, the ledger by status, skips by reason, API calls and 429s."""
    metadata: dict[str, Any] = {
        name: value
        for name, value in result.as_dict().items()
        if isinstance(value, int) and not isinstance(value, bool)
    }
    metadata["status"] = result.status
    metadata["destination_target"] = target
    for status, count in sorted(result.ledger.items()):
        metadata[f"ledger_{status}"] = count
    for reason, count in sorted(result.skipped_by_reason.items()):
        metadata[f"skipped_{reason}"] = count
    if result.errors:
        sample = "\n".join(f"- {key}: {reason}" for key, reason in list(result.errors.items())[:10])
        metadata["failed_sends_sample"] = MetadataValue.md(sample)
    return metadata
