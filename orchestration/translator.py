"""Folder = warehouse schema = Dagster asset group, derived from each dbt node's path; the
groups, in GROUP_ORDER, read left to right."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

RAW_GROUP = "raw"
# tables activation writes back (the send ledger) sit apart from its outgoing assets, so the
# collapsed graph still reads left to right: raw → models → syncs/sends → activation
ACTIVATION_STATE_GROUP = "activation_state"
SEED_GROUP = "reference"
# the syncs and the triggered sends leaving for the ESP (orchestration/assets/)
ACTIVATION_GROUP = "activation"
MART_GROUPS = ("contacts", "segments", "triggers", "performance", "syncs")
# every asset reads only assets of its own group or of groups before it
GROUP_ORDER = (
    RAW_GROUP,
    ACTIVATION_STATE_GROUP,
    SEED_GROUP,
    "staging",
    "intermediate",
    *MART_GROUPS,
    ACTIVATION_GROUP,
)


def group_for_node(props: Mapping[str, Any]) -> str:
    """staging/… → staging; marts/contacts/… → contacts; seeds → reference; sources → raw,
    except what activation writes back (source `activation`) → activation_state.
    intermediate/<mart>/… (e.g. intermediate/performance) → that mart's group: those models
    feed only that mart and read marts before it (triggered_sends), so in `intermediate`
    they would point the graph backwards."""
    resource_type = props.get("resource_type")
    if resource_type == "source":
        return source_group(str(props.get("source_name", "")))
    if resource_type == "seed":
        return SEED_GROUP
    folders = list(props.get("fqn", []))[1:-1]
    if folders and folders[0] == "marts" and len(folders) > 1:
        return str(folders[1])
    if folders[:1] == ["intermediate"] and len(folders) > 1 and folders[1] in MART_GROUPS:
        return str(folders[1])
    return str(folders[0]) if folders else "default"


def source_group(source_name: str) -> str:
    return ACTIVATION_STATE_GROUP if source_name == "activation" else RAW_GROUP


class NudgeDbtTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return group_for_node(dbt_resource_props)
