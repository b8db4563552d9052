"""The service layer's order of work (activation.runs): the read-back precedes the sends
except on a dry run or when Dagster's own feedback pull asset did it, and the feedback pull
reads engagement only where the destination lets it be read, else says why."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from activation.runs import feedback, no_engagement_reason, pull_feedback, send_due
from activation.runs import sends as sends_module


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each read-back, pull and send replaced by a stand-in that notes the call."""
    made: list[str] = []

    def noting(name: str) -> Any:
        def call(warehouse: Any, settings: Any, **options: Any) -> Any:
            made.append(name)
            return SimpleNamespace(name=name, options=options)

        return call

    monkeypatch.setattr(feedback, "read_back_suppressions", noting("suppressions"))
    monkeypatch.setattr(feedback, "read_back_preferences", noting("preferences"))
    monkeypatch.setattr(feedback, "pull_engagement", noting("engagement"))
    monkeypatch.setattr(sends_module, "run_sends", noting("sends"))
    return made


def settings(destination: str) -> Any:
    return SimpleNamespace(destination=destination)


def test_the_feedback_pull_reads_engagement_where_the_esp_has_it(calls: list[str]) -> None:
    pulled = pull_feedback("w.duckdb", settings("klaviyo"))
    assert calls == ["suppressions", "preferences", "engagement"]
    assert pulled.engagement is not None and pulled.no_engagement is None


def test_the_feedback_pull_says_why_there_is_no_engagement(calls: list[str]) -> None:
    pulled = pull_feedback("w.duckdb", settings("braze"))
    assert calls == ["suppressions", "preferences"]
    assert pulled.engagement is None
    assert pulled.no_engagement is not None and "Currents" in pulled.no_engagement
    assert no_engagement_reason("nowhere") == "no engagement read-back for nowhere"


def test_the_sends_follow_the_read_back(calls: list[str]) -> None:
    due = send_due("w.duckdb", settings("klaviyo"), trigger_key="welcome")
    assert calls == ["suppressions", "preferences", "sends"]
    assert due.read_back is not None
    assert due.sends.options["trigger_key"] == "welcome"


def test_no_read_back_on_a_dry_run(calls: list[str]) -> None:
    due = send_due("w.duckdb", settings("klaviyo"), dry_run=True)
    assert calls == ["sends"] and due.read_back is None
    assert due.sends.options["dry_run"] is True
