"""How the Dagster assets treat replays (README "Replays"). The dbt asset builds the live
warehouse, so it refuses an `as_of` older than the replay tolerance (a replay belongs in its
own copy: `nudge build --as-of`); and a sync or send that activation refuses because its
model's newest build was a replay fails its asset with activation's one-line message."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

from dagster import Failure

from activation.build_stamps import ReplayBuildError, is_replay, tolerance_text
from activation.build_stamps import replay_tolerance as tolerance_from_env
from activation.errors import ConfigurationError
from activation.state import utcnow
from nudge.clock import parse_instant
from nudge.dbt_runner import AS_OF_ENV


def require_live_as_of(as_of: str) -> None:
    """Failure unless ``as_of`` builds the live warehouse. Empty: dbt's own, NUDGE_AS_OF from
    the environment the asset's dbt inherits (one left exported from a replay), else now."""
    source = "as_of"
    if not as_of.strip():
        as_of, source = os.environ.get(AS_OF_ENV, ""), AS_OF_ENV
    if not as_of.strip():
        return
    try:
        instant = parse_instant(as_of)
        tolerance = tolerance_from_env()
    except (ValueError, ConfigurationError) as exc:
        raise Failure(description=str(exc), allow_retries=False) from None
    if is_replay(instant, utcnow(), tolerance):
        raise Failure(
            description=f"{source} {instant} is more than {tolerance_text(tolerance)} in the "
            "past: a replay, which this asset would build into the live "
            "warehouse that syncs and sends read. Build it in a copy instead: "
            f'`nudge build --as-of "{instant}"` (README "Replays").',
            allow_retries=False,
        )


@contextmanager
def replay_refusal_fails_the_asset() -> Iterator[None]:
    """Turn activation's refusal of a replayed build into the asset's Failure."""
    try:
        yield
    except ReplayBuildError as exc:
        raise Failure(description=str(exc), allow_retries=False) from None
