"""What a destination declares about itself: one ``DestinationSpec`` per ESP folder
(``activation/destinations/<esp>/__init__.py``), listed once in ``registry.py``. Code outside
the destination's folder asks its spec (settings, client, declaration checks, capabilities,
sandbox) instead of branching on its name."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import import_module
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from ..settings import DestinationSettings
from .base import Destination

if TYPE_CHECKING:
    from ..declarations import NudgeSync
    from ..engagement.readers import EngagementReader
    from ..sandbox.framework import SandboxApp

PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # a column or attribute name


class DeclarationOptions(BaseModel):
    """A destination's own block of a sync declaration (``mailchimp: {audience_id: …}``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Capabilities:
    """What the destination's client does, as the engine relies on it
    (tests/test_destination_specs.py checks each against the client)."""

    # records an event once per unique_id whatever its configuration, so ``object: events``
    # syncs (declared before any client is built) may go there; a destination that does
    # only when configured so says when in ``DestinationSpec.idempotent_events_when``
    idempotent_events: bool
    # keeps list (or segment) membership: ``object: list_members`` syncs (with or without
    # ``segments:``) may go there; to any other the declaration is refused
    membership: bool
    # reads unsubscribes, bounces and complaints made in the ESP back (read_suppressions)
    # before each send run and in the feedback pull; any other is not asked (no_suppressions
    # says why), and its sends are gated by the warehouse's own suppressions only
    suppressions: bool
    # its sends' email engagement can be pulled (``nudge pull``); else no_engagement says why
    engagement: bool
    # reads preference choices made on the ESP's preference page back, as suppressions are;
    # any other is not asked (no_preferences says why)
    preferences: bool


def any_attribute(name: str) -> str | None:
    """Every profile attribute name is accepted."""
    return None


def no_problems(where: str, config: NudgeSync) -> list[str]:
    return []


@dataclass(frozen=True)
class SandboxSpec:
    """A destination's local sandbox (``<esp>/sandbox/``), as ``nudge sandbox --destination``
    and ``python -m activation.destinations.<esp>.sandbox`` serve it."""

    # the sandbox's package (``f"{__name__}.sandbox"`` in the destination's folder), whose
    # ``from_settings(settings)`` builds its app
    package: str
    # on loopback; one per destination, so several can run side by side; the one place a
    # sandbox's default port is set
    default_port: int
    # what to export so the client talks to the sandbox served at ``base_url``
    # (``http://<host>:<port>``): its base-URL variable(s)
    client_env: Callable[[str], Mapping[str, str]]

    def app(self, settings: DestinationSettings) -> SandboxApp:
        """Its app, answering the client with these settings. The package is imported only
        now, as the client factory imports the client: declarations are read without
        importing any sandbox."""
        from_settings: Callable[[DestinationSettings], SandboxApp]
        from_settings = import_module(self.package).from_settings
        return from_settings(settings)


@dataclass(frozen=True)
class DestinationSpec:
    name: str  # as declarations and NUDGE_SENDS_DESTINATION write it
    # its settings from the environment: (env=None, **DestinationSettings overrides)
    settings_from_env: Callable[..., DestinationSettings]
    # its client, with the declaration of the sync it serves when there is one
    client: Callable[[DestinationSettings, NudgeSync | None], Destination]
    # a complete environment for ``settings_from_env``, every variable set (examples, not
    # secrets; its http(s) values are every host the destination calls)
    example_env: Mapping[str, str]
    capabilities: Capabilities
    # the declaration block named after the destination, if it takes one
    options: type[DeclarationOptions] | None = None
    # why ``name`` cannot be a profile attribute there (None: it can)
    attribute_problem: Callable[[str], str | None] = any_attribute
    # what else the destination needs of a declaration, as "<where>.<field> …" problems
    declaration_problems: Callable[[str, NudgeSync], list[str]] = no_problems
    # a list_members sync declared with ``segments:``: its options for one segment's sync
    segment_options: Callable[[Any, str], DeclarationOptions] | None = None
    # examples for a missing option, by its location (``mailchimp.audience_id``)
    examples: Mapping[str, str] = field(default_factory=dict)
    # the engagement reader (with capabilities.engagement), or why there is none and what
    # to connect instead
    engagement_reader: Callable[[DestinationSettings], EngagementReader] | None = None
    no_engagement: str | None = None
    # its local sandbox, if it has one
    sandbox: SandboxSpec | None = None
    # without capabilities.suppressions / .preferences: why the unsubscribes or the preference
    # choices made there are not read back, and how to land them in the warehouse instead
    no_suppressions: str | None = None
    no_preferences: str | None = None
    # without capabilities.idempotent_events: the configurations in which its client records
    # events once per unique_id after all (None: none)
    idempotent_events_when: Callable[[DestinationSettings], bool] | None = None
    # when it de-duplicates events: for how long after the first one with a unique_id, as
    # its contract documents it (None: no limit documented, for good); the send runner
    # re-sends an interrupted send only while its first attempt is inside it
    deduplication_window: timedelta | None = None

    def idempotent_events_with(self, settings: DestinationSettings) -> bool:
        """Whether the client built with ``settings`` records an event once per unique_id.

        The send runner reads the client's own ``idempotent_events`` (the object whose
        ``track_events`` de-duplicates or not, with the configuration it was built with;
        tests hand it doubles); this is the same answer as the spec declares it, and
        tests/test_destination_specs.py checks that the two agree. Declarations, read
        before settings exist, rely on ``capabilities.idempotent_events`` alone: a
        destination idempotent only when configured so takes no ``object: events`` sync."""
        if self.capabilities.idempotent_events:
            return True
        return self.idempotent_events_when is not None and self.idempotent_events_when(settings)
