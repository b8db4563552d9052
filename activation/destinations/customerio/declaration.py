"""A Customer.io sync declaration: its ``customerio:`` block, the manual segments list
members go to (the Track API can neither create nor find one by name), and user ids."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from ..declaration_checks import external_id_problems
from ..spec import DeclarationOptions

if TYPE_CHECKING:
    from ...declarations import NudgeSync


class CustomerioOptions(DeclarationOptions):
    segment_id: int | None = Field(default=None, ge=1)
    # with `segments:`, the manual segment made in Customer.io for each listed key
    segment_ids: dict[str, Annotated[int, Field(ge=1)]] | None = None


def options_of(config: NudgeSync) -> CustomerioOptions | None:
    options = config.destination_options()
    return options if isinstance(options, CustomerioOptions) else None


def segment_options(options: CustomerioOptions, key: str) -> CustomerioOptions:
    """One segment's sync goes to that segment's own manual segment."""
    if not options.segment_ids:
        return options
    return CustomerioOptions(segment_id=options.segment_ids[key])


def declaration_problems(where: str, config: NudgeSync) -> list[str]:
    options = options_of(config)
    problems = _segments_problems(where, config, options)
    problems += external_id_problems(where, config)
    if (
        config.object == "list_members"
        and not config.segments
        and (options is None or options.segment_id is None)
    ):
        problems.append(
            f"{where}.customerio.segment_id is required when object is 'list_members': the id "
            f"of a manual segment made in Customer.io (the Track API cannot create one), e.g. "
            f"customerio: {{segment_id: 12}}"
        )
    return problems


def _segments_problems(
    where: str, config: NudgeSync, options: CustomerioOptions | None
) -> list[str]:
    if config.segments is None:
        if options is not None and options.segment_ids is not None:
            return [
                f"{where}.customerio.segment_ids applies only with segments (one manual "
                f"segment per listed key); for one segment use customerio.segment_id"
            ]
        return []
    if config.object != "list_members":
        return []
    segments = config.segments
    example = f"customerio: {{segment_ids: {{{segments[0]}: 12}}}}"
    ids = (options.segment_ids if options else None) or {}
    if options is not None and options.segment_id is not None:
        return [
            f"{where}.customerio.segment_id names one manual segment, but segments lists "
            f"{len(segments)}: give each its own under customerio.segment_ids (e.g. {example})"
        ]
    problems = []
    missing = [key for key in segments if key not in ids]
    if missing:
        problems.append(
            f"{where}.customerio.segment_ids needs the id of a manual segment made in "
            f"Customer.io for {', '.join(missing)} (the Track API cannot create one), e.g. "
            f"{example}"
        )
    unlisted = sorted(set(ids) - set(segments))
    if unlisted:
        problems.append(
            f"{where}.customerio.segment_ids has {', '.join(unlisted)}, which segments does "
            f"not list; add it to segments or remove its id"
        )
    return problems
