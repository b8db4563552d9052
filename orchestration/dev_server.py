"""`python -m orchestration.dev_server --port N`: what `nudge dagster` runs (the CLI imports
nothing of orchestration). Installs the instance settings in DAGSTER_HOME
(orchestration/instance.py), then becomes `dagster dev` on this code location: the process
is replaced, not wrapped, so the process group `nudge dagster` stops is dagster's own."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from orchestration.instance import DAGSTER_HOME_ENV, dagster_home, install_dagster_instance


def dagster_dev_command(port: int) -> list[str]:
    dagster = Path(sys.executable).parent / "dagster"
    return [str(dagster), "dev", "-m", "orchestration.definitions", "-p", str(port)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m orchestration.dev_server")
    parser.add_argument("--port", type=int, default=3000)
    port = parser.parse_args(argv).port
    home = dagster_home()
    install_dagster_instance(home)
    command = dagster_dev_command(port)
    os.execve(command[0], command, {**os.environ, DAGSTER_HOME_ENV: str(home)})


if __name__ == "__main__":
    main()
