"""The assets that talk to the triggered-sends ESP (NUDGE_SENDS_DESTINATION, default klaviyo):

- the feedback pull, upstream of raw.events: suppressions made in the ESP (unsubscribes,
  hard bounces, spam complaints, preference changes) and the email engagement of the sends
  (delivered, opened, clicked, …, where the ESP lets it be read) land as raw events
  (activation.runs.pull_feedback);
- the triggered sends, downstream of triggers.triggered_sends: every due send delivered as
  an ESP event keyed by its send_key, through the send ledger (activation.runs.send_due)."""

from collections.abc import Iterator
from dataclasses import asdict
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

from activation.leases import LeaseHeld
from activation.runs import ReadBack, pull_feedback, send_due
from orchestration.assets.leases import lease_held_results
from orchestration.assets.replays import replay_refusal_fails_the_asset
from orchestration.resources import EspResource, WarehouseResource
from orchestration.translator import ACTIVATION_GROUP, RAW_GROUP

UNSENT_CHECK = "no_sends_left_unsent"


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
        description=f"Suppressions made in {destination} and the sends' email engagement since "
        "the last pull, landed in raw.events (suppressions also in activation.esp_suppressions, "
        "so the next send skips them at once).",
    )

    @multi_asset(name=f"{destination}_feedback_pull", specs=[spec])
    def _pull(
        context: AssetExecutionContext,
        warehouse: ResourceParam[WarehouseResource],
        esp: ResourceParam[EspResource],
    ) -> Iterator[MaterializeResult]:
        pulled = pull_feedback(warehouse.path, esp.settings(destination))
        landed = pulled.read_back
        metadata = read_back_metadata(landed)
        if landed.suppressions is not None:
            context.log.info(
                f"pulled {landed.suppressions.pulled} suppressions ({landed.suppressions.new} "
                f"new), {landed.suppressions.landed_events} raw events"
            )
        if pulled.engagement is not None:
            metadata.update(engagement_metadata(pulled.engagement))
            context.log.info(f"pulled {pulled.engagement.pulled} engagement events")
        else:
            metadata["engagement"] = pulled.no_engagement
        yield MaterializeResult(asset_key=key, metadata=metadata)

    return _pull


def read_back_metadata(landed: ReadBack) -> dict[str, Any]:
    """What the read-back landed, or why the destination has nothing of a kind to read."""
    metadata: dict[str, Any] = {}
    if landed.suppressions is not None:
        metadata.update(suppressions_metadata(landed.suppressions))
    else:
        metadata["suppressions"] = landed.no_suppressions
    if landed.preferences is not None:
        metadata["preference_changes_landed"] = landed.preferences.landed_events
    else:
        metadata["preferences"] = landed.no_preferences
    return metadata


def suppressions_metadata(suppressions: Any) -> dict[str, Any]:
    """The counts of a suppression read-back (activation.sends.ReadbackResult)."""
    return {
        f"suppressions_{name}": value
        for name, value in asdict(suppressions).items()
        if isinstance(value, int)
    }


def engagement_metadata(engagement: Any) -> dict[str, Any]:
    """The counts of an engagement pull (activation.engagement.EngagementPullResult), with
    the events landed by name."""
    metadata: dict[str, Any] = {
        "engagement_pulled": engagement.pulled,
        "engagement_landed": engagement.landed,
        "engagement_unmatched": engagement.unmatched,
        "engagement_erased": engagement.erased,
        "engagement_api_calls": engagement.api_calls,
    }
    for event, count in sorted(engagement.by_event.items()):
        metadata[f"landed {event}"] = count
    return metadata


def triggered_sends_asset(destination: str, model: AssetKey) -> AssetsDefinition:
    key = triggered_sends_key(destination)
    spec = AssetSpec(
        key,
        deps=[model],
        group_name=ACTIVATION_GROUP,
        kinds={destination},
        description=f"Every due row of triggers.triggered_sends sent to {destination} as an "
        "event (unique_id = send_key) through activation.send_ledger: at most once per send.",
    )

    check = AssetCheckSpec(
        UNSENT_CHECK,
        asset=key,
        description=f"Fails when {destination} was unavailable (429 / 5xx / timeouts after "
        "retries) and the run left due sends unsent; they wait for the next run, no attempt "
        "counted, while still on time.",
    )

    @multi_asset(name=f"{destination}_triggered_sends", specs=[spec], check_specs=[check])
    def _send(
        context: AssetExecutionContext,
        warehouse: ResourceParam[WarehouseResource],
        esp: ResourceParam[EspResource],
    ) -> Iterator[MaterializeResult | AssetCheckResult]:
        settings = esp.settings(destination)
        try:
            with replay_refusal_fails_the_asset():
                due = send_due(warehouse.path, settings)
        except LeaseHeld as held:
            yield from lease_held_results(context, key, UNSENT_CHECK, held)
            return
        result = due.sends
        if due.read_back is not None:
            context.log.info(f"read back before sending: {due.read_back.summary()}")
        context.log.info(
            f"sends {result.status}: sent={result.sent} failed={result.failed} "
            f"skipped={result.skipped} expired={result.expired} deferred={result.deferred} "
            f"capped={result.capped} left unsent={result.not_attempted}"
        )
        yield MaterializeResult(asset_key=key, metadata=sends_metadata(result, settings.target))
        yield unsent_check(key, result, destination)

    return _send


def unsent_check(key: AssetKey, result: Any, destination: str) -> AssetCheckResult:
    """Passes unless due sends were left unsent because the ESP was unavailable."""
    summary = result.unavailable_summary(destination)
    metadata: dict[str, Any] = {"left_unsent": result.not_attempted, "status": result.status}
    if summary is not None:
        metadata["summary"] = summary
    return AssetCheckResult(
        asset_key=key,
        check_name=UNSENT_CHECK,
        passed=summary is None,
        severity=AssetCheckSeverity.ERROR,
        description=summary,
        metadata=metadata,
    )


def sends_metadata(result: Any, target: str) -> dict[str, Any]:
    """Counts of the run (sent, and what the send-time gate held back: skipped, expired,
    deferred, capped), the ledger by status, skips and caps by reason, API calls, 429s."""
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
    for reason, count in sorted(result.capped_by_reason.items()):
        metadata[f"capped_{reason}"] = count
    if result.next_deferred_until is not None:
        metadata["next_deferred_until"] = f"{result.next_deferred_until:%Y-%m-%d %H:%M} UTC"
    if result.errors:
        sample = "\n".join(f"- {key}: {reason}" for key, reason in list(result.errors.items())[:10])
        metadata["failed_sends_sample"] = MetadataValue.md(sample)
    return metadata
