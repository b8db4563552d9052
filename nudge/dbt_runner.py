"""Run dbt in-process against one warehouse file.

Each warehouse gets its own target and log folders next to it, so tests building separate
warehouses in parallel never share dbt's partial-parse state.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nudge.paths import PROJECT_ROOT


class DbtCommandError(RuntimeError):
    """A dbt command finished unsuccessfully."""


@dataclass(frozen=True)
class DbtResult:
    success: bool
    results: list[dict[str, Any]]


def dbt_artifacts_dir(warehouse: Path) -> Path:
    return warehouse.parent / f"{warehouse.stem}_dbt"


def run_dbt(
    args: Sequence[str],
    warehouse: Path,
    dbt_vars: Mapping[str, Any] | None = None,
    check: bool = True,
) -> DbtResult:
    """Invoke `dbt <args>` on `warehouse`; raise DbtCommandError on failure when `check`."""
    from dbt.cli.main import dbtRunner

    artifacts = dbt_artifacts_dir(warehouse)
    command = [
        *args,
        "--project-dir",
        str(PROJECT_ROOT),
        "--profiles-dir",
        str(PROJECT_ROOT),
        "--target-path",
        str(artifacts / "target"),
        "--log-path",
        str(artifacts / "logs"),
    ]
    if dbt_vars:
        command += ["--vars", json.dumps(dict(dbt_vars), default=str)]
    previous = os.environ.get("NUDGE_WAREHOUSE")
    os.environ["NUDGE_WAREHOUSE"] = str(warehouse)
    try:
        outcome = dbtRunner().invoke(command)
    finally:
        if previous is None:
            os.environ.pop("NUDGE_WAREHOUSE", None)
        else:
            os.environ["NUDGE_WAREHOUSE"] = previous
    results = _node_results(outcome.result)
    if check and not outcome.success:
        failed = [r for r in results if r["status"] not in ("success", "pass", "skipped")]
        detail = "; ".join(f"{r['unique_id']}: {r['status']} {r['message']}" for r in failed)
        raise DbtCommandError(
            f"dbt {' '.join(args)} failed: {detail or outcome.exception or 'see dbt logs'}"
        )
    return DbtResult(success=outcome.success, results=results)


def _node_results(result: object) -> list[dict[str, Any]]:
    rows = []
    for node_result in getattr(result, "results", None) or []:
        node = getattr(node_result, "node", None)
        rows.append(
            {
                "unique_id": getattr(node, "unique_id", ""),
                "status": str(getattr(node_result, "status", "")),
                "message": getattr(node_result, "message", "") or "",
                "rows": (getattr(node_result, "adapter_response", None) or {}).get("rows_affected"),
            }
        )
    return rows
