"""A throwaway PostgreSQL cluster for the tests: initdb in a temp dir, a free loopback port,
the unix socket in the temp dir, stopped and deleted at the end of the session.

The server binaries come from NUDGE_PG_BIN, else `pg_config --bindir`, else the newest
/usr/lib/postgresql/<version>/bin (the CI image ships PostgreSQL 15 there).

Running as root: initdb and postgres refuse to run as root (a superuser-owned server could
be used to take over the machine). When the tests run as root (CI containers do), the
cluster is created and run by an unprivileged account instead, `nobody` unless
NUDGE_PG_OS_USER names another, in a temp dir that account owns; subprocess switches the
uid/gid before exec, so no su/sudo is needed. Clients connect over TCP with `trust` auth,
which is fine for a cluster bound to 127.0.0.1 that lives for one test session.

The cluster uses the C locale: text then sorts by code point like DuckDB and Spark, so
tie-breaks on text columns agree across engines.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SUPERUSER = "nudge"


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    socket_dir: Path

    def connection(self, dbname: str = "postgres") -> dict[str, Any]:
        """psycopg2.connect keyword arguments."""
        return {"host": self.host, "port": self.port, "user": self.user, "dbname": dbname}

    def create_database(self, name: str) -> str:
        import psycopg2

        con = psycopg2.connect(**self.connection())
        try:
            con.autocommit = True
            with con.cursor() as cur:
                cur.execute(f'drop database if exists "{name}"')
                cur.execute(f'create database "{name}"')
        finally:
            con.close()
        return name

    def dbt_env(self, dbname: str, schema: str = "public") -> dict[str, str]:
        """Environment for the `postgres` output of profiles.yml."""
        return {
            "NUDGE_PG_HOST": self.host,
            "NUDGE_PG_PORT": str(self.port),
            "NUDGE_PG_USER": self.user,
            "NUDGE_PG_PASSWORD": "",
            "NUDGE_PG_DATABASE": dbname,
            "NUDGE_PG_SCHEMA": schema,
        }


def postgres_bindir() -> Path | None:
    configured = os.environ.get("NUDGE_PG_BIN")
    if configured:
        return Path(configured)
    candidates = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    candidates += [
        Path(p)
        for p in sorted(
            glob.glob("/usr/lib/postgresql/*/bin"),
            key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
            reverse=True,
        )
    ]
    return next((c for c in candidates if (c / "initdb").exists()), None)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Runner:
    """Runs the server binaries as the current user, or as an unprivileged one under root."""

    def __init__(self, root: Path) -> None:
        self.user: int | None = None
        self.group: int | None = None
        if os.geteuid() == 0:
            account = pwd.getpwnam(os.environ.get("NUDGE_PG_OS_USER", "nobody"))
            self.user, self.group = account.pw_uid, account.pw_gid
            os.chown(root, self.user, self.group)
        self.root = root

    def run(self, *command: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}
        return subprocess.run(
            [str(c) for c in command],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            check=check,
            user=self.user,
            group=self.group,
            extra_groups=[] if self.user is not None else None,
            timeout=120,
        )


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    bindir = postgres_bindir()
    if bindir is None:
        pytest.fail(
            "PostgreSQL server binaries not found (set NUDGE_PG_BIN, or install postgresql)"
        )
    # under root the server runs as another account, which must reach the dir: /tmp, not a
    # TMPDIR that may sit inside root's own 0700 home
    root = Path(tempfile.mkdtemp(prefix="nudge-pg-", dir="/tmp" if os.geteuid() == 0 else None))
    runner = _Runner(root)
    data, sockets = root / "data", root / "sockets"
    runner.run("mkdir", sockets)
    runner.run(
        bindir / "initdb",
        "-D",
        data,
        "-U",
        SUPERUSER,
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C",
        "--no-sync",
    )
    port = 0
    try:
        for attempt in range(3):
            port = _free_port()
            options = " ".join(
                [
                    f"-c port={port}",
                    "-c listen_addresses=127.0.0.1",
                    f"-c unix_socket_directories={sockets}",
                    "-c fsync=off",
                    "-c synchronous_commit=off",
                    "-c full_page_writes=off",
                    "-c timezone=UTC",
                ]
            )
            started = runner.run(
                bindir / "pg_ctl",
                "-D",
                data,
                "-l",
                root / "server.log",
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
                check=False,
            )
            if started.returncode == 0:
                break
            if attempt == 2:
                log = (root / "server.log").read_text(errors="replace")
                raise RuntimeError(f"pg_ctl start failed: {started.stderr}\n{log}")
            time.sleep(1)
        yield PostgresServer(host="127.0.0.1", port=port, user=SUPERUSER, socket_dir=sockets)
    finally:
        runner.run(bindir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster for this test session (one per xdist worker that asks for it)."""
    with running_postgres() as server:
        yield server
