"""dbt's log file is closed after each in-process invocation (nudge/dbt_runner.py)."""

from __future__ import annotations

import gc
import warnings
from pathlib import Path

from nudge.dbt_runner import parse_manifest


def test_an_in_process_dbt_run_leaves_no_log_file_to_the_garbage_collector(
    tmp_path: Path,
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        # the second invocation replaces the first one's log handler
        parse_manifest(tmp_path / "first" / "nudge.duckdb")
        parse_manifest(tmp_path / "second" / "nudge.duckdb")
        gc.collect()
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert [message for message in unclosed if "dbt.log" in message] == []
