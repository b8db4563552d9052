"""`dbt docs generate` works, and every column of every mart is described."""

from __future__ import annotations

import json
from pathlib import Path

from nudge.dbt_runner import dbt_artifacts_dir, run_dbt
from tests.fixtures.raw_rows import AS_OF, write_raw_rows


def test_docs_describe_every_mart_column(tmp_path: Path) -> None:
    warehouse = tmp_path / "nudge.duckdb"
    write_raw_rows(warehouse)
    # the catalog needs every relation (seeds and models), not the tests' results
    run_dbt(
        ["build", "--exclude-resource-type", "test", "unit_test"],
        warehouse,
        dbt_vars={"as_of": AS_OF.isoformat(sep=" ")},
        quiet=True,
    )
    run_dbt(["docs", "generate"], warehouse, quiet=True)

    target = dbt_artifacts_dir(warehouse) / "target"
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    marts = {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    }
    assert {"contact_profiles", "contact_rfm", "segment_memberships"} <= {
        node["name"] for node in marts.values()
    }
    undocumented = {}
    for unique_id, node in marts.items():
        built_columns = {name.lower() for name in catalog["nodes"][unique_id]["columns"]}
        described = {
            name.lower() for name, column in node["columns"].items() if column["description"]
        }
        if missing := built_columns - described:
            undocumented[node["name"]] = sorted(missing)
    assert not undocumented, f"mart columns without a description: {undocumented}"
