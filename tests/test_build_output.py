"""What `nudge build` prints (nudge/build_output.py), fed dbt's events and results as dbt
gives them: the progress line counts nodes and models and names the one running; the summary
counts each kind of node by outcome; a failed build shows dbt's kept-back log, then each
failing node's error under its name. The whole command on a real build: test_cli_errors'
failing build and test_replays' replay build."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

from rich.console import Console

from nudge.build_output import build_progress, failure_report, summary_table


def event(name: str, level: str = "debug", msg: str = "", **data: Any) -> Any:
    return SimpleNamespace(info=SimpleNamespace(name=name, level=level, msg=msg), data=data)


def node(resource_type: str, name: str) -> Any:
    return SimpleNamespace(resource_type=resource_type, node_name=name)


def started(resource_type: str, name: str, total: int) -> Any:
    start = event("LogStartLine", "info", f"START {name}")
    start.data = SimpleNamespace(node_info=node(resource_type, name), total=total)
    return start


def finished(resource_type: str, name: str) -> Any:
    done = event("NodeFinished")
    done.data = SimpleNamespace(node_info=node(resource_type, name))
    return done


def rendered(renderable: Any) -> str:
    out = io.StringIO()
    Console(file=out, width=100, color_system=None).print(renderable)
    return out.getvalue()


def test_the_progress_line_counts_nodes_and_models_and_names_the_running_one() -> None:
    console = Console(file=io.StringIO(), width=100)
    with build_progress(console, models=2) as progress:
        for resource_type, name in [
            ("seed", "trigger_catalog"),
            ("model", "stg_events"),
            ("test", "unique_stg_events_message_id"),
        ]:
            progress(started(resource_type, name, total=5))
            progress(finished(resource_type, name))
        progress(started("model", "contact_rfm", total=5))
        (task,) = progress.progress.tasks
        assert task.description == "models 1/2 · model contact_rfm"
        assert (task.completed, task.total) == (3, 5)
    # what dbt would have printed at its default level, kept for a failure
    assert progress.log == [
        "START trigger_catalog",
        "START stg_events",
        "START unique_stg_events_message_id",
        "START contact_rfm",
    ]


RESULTS = [
    {"unique_id": "model.nudge.stg_events", "status": "success", "message": "OK"},
    {"unique_id": "model.nudge.contact_rfm", "status": "error", "message": "Binder Error: x\n"},
    {"unique_id": "model.nudge.segment_memberships", "status": "skipped", "message": ""},
    {"unique_id": "seed.nudge.trigger_catalog", "status": "success", "message": "INSERT 9"},
    {"unique_id": "test.nudge.unique_contact_rfm_contact_id", "status": "pass", "message": ""},
    {"unique_id": "test.nudge.not_null_x", "status": "warn", "message": "Got 2 results"},
    {"unique_id": "test.nudge.assert_volume", "status": "fail", "message": "Got 7 results"},
]


def test_the_summary_counts_each_kind_by_outcome() -> None:
    text = rendered(summary_table(RESULTS, 83.4))
    assert "dbt build: 7 nodes in 1 min 23 s" in text
    rows = [line.split("│")[1:-1] for line in text.splitlines() if line.startswith("│")]
    counts = {label.strip(): [cell.strip() for cell in cells] for label, *cells in rows}
    # ok, warned, failed, skipped
    assert counts["models"] == ["1", "0", "1", "1"]
    assert counts["seeds"] == ["1", "0", "0", "0"]
    assert counts["data tests"] == ["1", "1", "1", "0"]
    assert "unit tests" not in counts


def test_a_failure_shows_the_log_then_each_failing_node_under_its_name() -> None:
    text = rendered(failure_report(["Running with dbt", "Finished running"], RESULTS))
    assert text.index("Finished running") < text.index("model contact_rfm: error")
    assert "Binder Error: x" in text
    assert "test assert_volume: fail" in text and "Got 7 results" in text
    assert "not_null_x" not in text and "stg_events" not in text  # warned or fine
