"""The switch for recording nudge's own runs in Dagster (orchestration/recorded_runs.py); the
recording itself is checked end to end on test_replays' live build
(test_the_live_build_is_recorded_in_dagster_and_the_replay_is_not)."""

from __future__ import annotations

import pytest

from activation.errors import ConfigurationError
from orchestration.recorded_runs import RECORD_ENV, recording_enabled


def test_recording_is_on_unless_switched_off() -> None:
    assert recording_enabled({})
    assert recording_enabled({RECORD_ENV: " True "})
    assert not recording_enabled({RECORD_ENV: "false"})
    assert not recording_enabled({RECORD_ENV: "0"})


def test_a_bad_switch_names_the_variable_and_the_fix() -> None:
    with pytest.raises(ConfigurationError, match=f"{RECORD_ENV}='sometimes'.*set it to false"):
        recording_enabled({RECORD_ENV: "sometimes"})
