"""The background writer of nudge's recorded runs (orchestration/recorded_runs.py) is
idempotent: a writer that dies mid-file leaves the next writer to store each queued event
exactly once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    AssetCheckEvaluation,
    AssetKey,
    AssetMaterialization,
    DagsterInstance,
    serialize_value,
)

from orchestration import recorded_runs
from orchestration.instance import install_dagster_instance
from orchestration.recorded_runs import QUEUE_DIR, queue_is_empty, record_stamp, write_queued

RFM = AssetKey(["contacts", "contact_rfm"])
EVENTS: list[Any] = [
    AssetMaterialization(RFM, metadata={"dagster/row_count": 12}),
    AssetCheckEvaluation(asset_key=RFM, check_name="unique_contact_rfm_contact_id", passed=True),
    AssetMaterialization(AssetKey(["klaviyo", "feedback_pull"]), metadata={"pulled": 3}),
]


class WriterDied(Exception):
    pass


def queued_home(tmp_path: Path) -> Path:
    home = tmp_path / "dagster_home"
    install_dagster_instance(home)
    (home / QUEUE_DIR).mkdir()
    (home / QUEUE_DIR / "00000000000000000001-1.json").write_text(serialize_value(EVENTS))
    return home


def stored_stamps(home: Path) -> Counter[str | None]:
    with DagsterInstance.from_config(str(home)) as instance:
        return Counter(map(record_stamp, instance.get_records_for_run("", limit=100).records))


def test_a_writer_dying_mid_file_leaves_each_event_stored_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer dies after storing the second event, before counting it: the next one
    resumes there, finds that event's stamp in the instance and stores only the third."""
    home = queued_home(tmp_path)
    count = recorded_runs._write_atomically
    counted: list[str] = []

    def count_then_die(path: Path, text: str) -> None:
        if len(counted) == 1:
            raise WriterDied
        counted.append(text)
        count(path, text)

    with monkeypatch.context() as patched:
        patched.setattr(recorded_runs, "_write_atomically", count_then_die)
        with pytest.raises(WriterDied):
            write_queued(home)
    assert not queue_is_empty(home)  # the file waits for the next writer

    assert write_queued(home) == 1
    stem = "00000000000000000001-1"
    assert stored_stamps(home) == Counter({f"{stem}#{index}": 1 for index in range(3)})
    assert queue_is_empty(home) and list((home / QUEUE_DIR).glob("*.written")) == []
