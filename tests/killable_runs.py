"""Runs of a function in a process of its own that a test kills with SIGKILL, at a checkpoint
of the run or whenever it likes (tests/test_sends_crash.py, tests/test_segment_events.py).

Each run is forked from multiprocessing's fork server, which imports the modules of
``preloaded_forkserver`` once: a fresh interpreter would import them again for every run,
dbt's above all (opening a warehouse renders the dbt profile), ~3 s of CPU per run.
A run is still a separate process with the environment and working directory it is given,
killed and reaped as a subprocess would be. Its interface is the part of
``subprocess.Popen`` the tests use: poll, send_signal, wait, communicate, returncode.
"""

from __future__ import annotations

import importlib
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import subprocess
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

# what every run imports: the send runner, syncs, and dbt's profile rendering
BASE_PRELOAD = (
    "activation.sends",
    "activation.sync",
    "activation.declarations",
    "activation.settings",
    "activation.warehouse.profile",
    "dbt.config.profile",
    "dbt.config.renderer",
    "dbt_common.context",
)
DEFAULT_PRELOAD = ["__main__"]  # multiprocessing's own

# the target of a run: called with (checkpoint, ready, *args); returns what the run prints
Target = Callable[..., str]


@contextmanager
def preloaded_forkserver(modules: Sequence[str] = ()) -> Iterator[None]:
    """This process's fork server, started afresh with BASE_PRELOAD and ``modules`` imported,
    stopped at the end (it would otherwise live as long as the test process)."""
    _stop_forkserver()
    multiprocessing.set_forkserver_preload([*BASE_PRELOAD, *modules])
    try:
        yield
    finally:
        _stop_forkserver()
        multiprocessing.set_forkserver_preload(DEFAULT_PRELOAD)


def _stop_forkserver() -> None:
    # no public way: the module's own tests stop it like this
    multiprocessing.forkserver._forkserver._stop()  # type: ignore[attr-defined]


class KillableRun:
    """A started run; ``start_run`` returns it once the target said it is ready."""

    def __init__(self, process: multiprocessing.process.BaseProcess, reader: Connection) -> None:
        self._process = process
        self._reader = reader
        self._messages: list[tuple[str, str]] = []

    @property
    def pid(self) -> int:
        assert self._process.pid is not None
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode

    def send_signal(self, signal_number: int) -> None:
        if self._process.exitcode is None:
            os.kill(self.pid, signal_number)

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired(f"run {self.pid}", timeout or 0)
        return self._process.exitcode

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        """(what the target returned, the traceback it raised): "" for what it did not."""
        if self._reader.poll(timeout):  # a message, or the end of a run that sent none
            self._receive()
        self.wait(timeout)
        self._receive()
        sent = dict(self._messages)
        return sent.get("done", ""), sent.get("error", "")

    def _next(self, timeout: float | None) -> tuple[str, str] | None:
        if not self._reader.poll(timeout):
            return None
        try:
            message: tuple[str, str] = self._reader.recv()
        except EOFError:
            return None
        self._messages.append(message)
        return message

    def _receive(self) -> None:
        while self._next(0) is not None:
            pass

    def _wait_ready(self, timeout: float) -> None:
        message = self._next(timeout)
        if message != ("ready", ""):
            self.send_signal(signal.SIGKILL)
            self.wait(timeout)
            raise AssertionError(f"the run did not get ready: {message or self._messages}")


def start_run(
    target: str,
    args: Sequence[Any],
    *,
    env: Mapping[str, str],
    cwd: Path,
    crash_at: int = 0,
    ready_timeout: float = 120.0,
) -> KillableRun:
    """Run ``target`` ("module:function") with (checkpoint, ready, *args) in a process of
    its own, with ``env`` as its whole environment, in ``cwd``; the checkpoint kills it with
    SIGKILL at its ``crash_at``-th call (0: never). Returns once the target called ready()."""
    context = multiprocessing.get_context("forkserver")
    reader, writer = context.Pipe(duplex=False)
    process = context.Process(
        target=_run, args=(writer, target, list(args), dict(env), str(cwd), crash_at)
    )
    process.start()
    writer.close()  # the child's copy stays open: its end is the end of the messages
    run = KillableRun(process, reader)
    run._wait_ready(ready_timeout)
    return run


def crash_checkpoint(crash_at: int) -> Callable[[str], None]:
    """A checkpoint callback that kills this process with SIGKILL at its ``crash_at``-th
    call (0: never)."""
    passed = 0

    def checkpoint(name: str) -> None:
        nonlocal passed
        passed += 1
        if passed == crash_at:
            os.kill(os.getpid(), signal.SIGKILL)

    return checkpoint


def _run(
    writer: Connection, target: str, args: list[Any], env: dict[str, str], cwd: str, crash_at: int
) -> None:
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    try:
        module, name = target.split(":")
        function: Target = getattr(importlib.import_module(module), name)
        printed = function(crash_checkpoint(crash_at), lambda: writer.send(("ready", "")), *args)
    except BaseException:
        writer.send(("error", traceback.format_exc()))
        raise SystemExit(1) from None
    writer.send(("done", printed))
