"""Run a command that starts servers of its own (`dagster dev`: a webserver, a daemon, a
code server, run workers) so that stopping `nudge` stops all of them.

A terminal's Ctrl-C signals every process of the foreground process group, but SIGTERM
(`kill`, a service manager, a container stop) reaches `nudge` alone, and a child that is
killed outright cannot stop its own children. So the command runs in a process group of
its own; SIGINT, SIGTERM or SIGHUP to `nudge` is passed to it as SIGINT (dagster dev's
shutdown signal), `nudge` waits up to ``grace`` seconds for every process of the group to
exit, then kills those left. A second signal kills them at once. Dagster starts all its
processes in the group it was started in (none calls setsid), so the group is the tree.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType

STOP_GRACE_SECONDS = 30.0
POLL_SECONDS = 0.1
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def run_process_group(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    grace: float = STOP_GRACE_SECONDS,
) -> int:
    """Run ``command`` in its own process group until it exits or `nudge` is told to stop;
    its exit code, or 128 + the first stopping signal. No process of the group outlives
    it."""
    received: list[int] = []

    def record(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = {number: signal.signal(number, record) for number in STOP_SIGNALS}
    try:
        # handlers first: a signal arriving while it starts still stops the group
        process = subprocess.Popen(list(command), cwd=cwd, env=dict(env), process_group=0)
        group = process.pid  # process_group=0: the group's id is the leader's pid
        while process.poll() is None and not received:
            time.sleep(POLL_SECONDS)
        if received:
            _signal_group(group, signal.SIGINT)
            deadline = time.monotonic() + grace
            # a second signal: no more waiting
            while len(received) == 1 and time.monotonic() < deadline and _alive(process):
                time.sleep(POLL_SECONDS)
        _signal_group(group, signal.SIGKILL)  # whatever is left, or left behind
        code = process.wait()
        return 128 + received[0] if received else code
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _alive(process: subprocess.Popen[bytes]) -> bool:
    """Whether any process of ``process``'s group is left."""
    process.poll()  # reap the leader: a zombie still counts as a member of its group
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return False
    return True


def _signal_group(group: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group is gone
        os.killpg(group, signum)
