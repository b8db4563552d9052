"""Where dbt put a model or seed: its relation name from the manifest, for SQL outside dbt."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def relation_name(manifest: Mapping[str, Any], name: str) -> str:
    for node in manifest["nodes"].values():
        if node["name"] == name and node["resource_type"] in ("model", "seed"):
            return str(node["relation_name"])
    raise KeyError(f"{name} is not in dbt's manifest: run `nudge build` first")
