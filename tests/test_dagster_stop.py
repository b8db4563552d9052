"""`nudge dagster` stops its whole process tree: started on a free port with a DAGSTER_HOME
of its own, once the UI answers, a SIGTERM (or a Ctrl-C's SIGINT) to `nudge` leaves no
process of it running: not dagster dev, nor the webserver, the daemon or the code server
it started. Every process of the tree is found by a marker in its environment, which they
all inherit, so none escapes by being reparented."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.test_dagster_ui import STARTUP_SECONDS, free_port

pytestmark = pytest.mark.slow

MARKER = "NUDGE_TEST_PROCESS_TREE"
STOP_GUARD_SECONDS = 180  # only so a hung stop fails instead of hanging the suite


def tree(token: str) -> list[int]:
    """PIDs of the live (not zombie) processes whose environment carries the marker."""
    needle = f"{MARKER}={token}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            environment = (entry / "environ").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if state != "Z" and needle in environment:
            found.append(int(entry.name))
    return sorted(found)


@pytest.fixture
def dagster(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    """`nudge dagster` running, its UI answering: (the nudge process, marker, log)."""
    token = uuid.uuid4().hex
    port = free_port()
    log = tmp_path / "dagster.log"
    env = {
        **os.environ,
        MARKER: token,
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "NUDGE_WAREHOUSE": str(tmp_path / "nudge.duckdb"),
    }
    command = [str(Path(sys.executable).parent / "nudge"), "dagster", "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert process.poll() is None, log.read_text()[-3000:]
            try:
                if requests.get(f"http://127.0.0.1:{port}/server_info", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the Dagster UI did not come up"
            time.sleep(0.5)
        yield process, token, log
    finally:
        for pid in tree(token):  # what the test found left, or the old behavior left
            os.kill(pid, signal.SIGKILL)
        process.wait()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_ends_every_process(
    dagster: tuple[subprocess.Popen[bytes], str, Path], signum: signal.Signals
) -> None:
    process, token, log = dagster
    running = tree(token)
    # nudge, dagster dev, the webserver, the daemon and the code server at least
    assert process.pid in running and len(running) >= 5, running
    process.send_signal(signum)
    code = process.wait(timeout=STOP_GUARD_SECONDS)
    assert tree(token) == [], log.read_text()[-3000:]
    assert code == 128 + signum
