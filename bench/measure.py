"""Run one step in a child process and measure it: wall time, CPU time (user + sys of the
child and every process it waited for) and peak RSS (the child's maximum resident set size,
from wait4, so each step's peak is its own)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Measured:
    step: str
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    detail: dict[str, Any] = field(default_factory=dict)


class StepFailed(RuntimeError):
    pass


def run_step(step: str, args: list[str], env: Mapping[str, str] | None = None) -> Measured:
    """`python -m bench.step <args>` in a child process, with `env` added to the environment;
    its last stdout line is JSON detail."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.step", *args],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise StepFailed(f"step {step} failed (exit {child.returncode}):\n{output[-4000:]}")
    lines = [line for line in output.splitlines() if line.startswith("{")]
    detail = json.loads(lines[-1]) if lines else {}
    return Measured(
        step=step,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,  # Linux reports KiB
        detail=detail,
    )
