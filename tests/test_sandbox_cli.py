"""`nudge sandbox --destination <name>`: each destination's sandbox is served through its spec
(activation/sandbox/serve_esp.py) on a default port of its own, and the variables it prints
point the destination's client at it; an unknown destination and Klaviyo's own options for
another destination are refused, naming what is accepted."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from activation.destinations.base import ProfileRecord
from activation.destinations.registry import SPECS
from activation.destinations.spec import DestinationSpec
from activation.sandbox.framework import SandboxHandle
from activation.sandbox.serve_esp import client_env, sandbox_app, sandbox_settings
from nudge.cli import app

HOST = "127.0.0.1"
NOWHERE = "http://127.0.0.1:9"  # the discard port: a client left pointing here fails at once
NUDGE = Path(sys.executable).with_name("nudge")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def test_every_destination_has_a_sandbox_on_a_port_of_its_own() -> None:
    ports = [spec.sandbox.default_port for spec in SPECS if spec.sandbox is not None]
    assert len(ports) == len(SPECS)
    assert len(set(ports)) == len(ports)  # so they can run side by side


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_the_printed_variables_point_the_client_at_the_sandbox(
    spec: DestinationSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client whose environment has the credentials and, for every URL, somewhere nothing
    answers reaches the sandbox once the printed variables are exported."""
    env = {
        variable: NOWHERE if value.startswith(("http://", "https://")) else value
        for variable, value in spec.example_env.items()
    }
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    port = free_port()
    exported = client_env(spec.name, HOST, port)
    record = ProfileRecord("r-1", "ada@example.com", "c-1", {"first_name": "Ada"}, {})

    served = sandbox_app(spec.name, sandbox_settings(spec.name, HOST, port))
    with SandboxHandle(served, HOST, port) as sandbox:
        client = spec.client(spec.settings_from_env({**env, **exported}), None)
        try:
            outcome = client.upsert_profiles([record], None)
        finally:
            client.close()

        assert (outcome.succeeded, outcome.failed, outcome.unavailable) == (["r-1"], {}, None)
        assert sandbox.requests()


def test_nudge_sandbox_serves_another_destination_s_sandbox(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "MAILCHIMP_API_KEY": "sandbox-cli-key",  # no data-center suffix: the sandbox's URL
        "MAILCHIMP_AUDIENCE_ID": "aud-cli",
        "COLUMNS": "200",
    }
    env.pop("MAILCHIMP_BASE_URL", None)
    output = tmp_path / "output.txt"
    with output.open("w") as out:
        server = subprocess.Popen(
            [NUDGE, "sandbox", "--destination", "mailchimp", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        base_url = exported(output, "MAILCHIMP_BASE_URL", server)
        assert base_url == f"http://{HOST}:{port}/3.0"
        lists = answer(f"{base_url}/lists", ("anystring", "sandbox-cli-key"))
        assert lists.status_code == 200, lists.text
        assert [audience["id"] for audience in lists.json()["lists"]] == ["aud-cli"]
        assert answer(f"{base_url}/lists", ("anystring", "another-key")).status_code == 401
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)


def exported(output: Path, variable: str, server: subprocess.Popen[bytes]) -> str:
    """The value the command tells the user to export as ``variable``."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for line in output.read_text().splitlines():
            words = shlex.split(line)
            if words[:1] == ["export"] and words[1].startswith(f"{variable}="):
                return words[1].removeprefix(f"{variable}=")
        assert server.poll() is None, output.read_text()
        time.sleep(0.1)
    raise AssertionError(f"no export of {variable}: {output.read_text()}")


def answer(url: str, auth: tuple[str, str]) -> requests.Response:
    """The answer to a GET, once the server listens (it prints before it binds)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            return requests.get(url, auth=auth, timeout=5)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_an_unknown_destination_is_a_usage_error_naming_the_choices() -> None:
    result = CliRunner().invoke(app, ["sandbox", "--destination", "sendgrid"])

    assert result.exit_code == 2, result.output
    text = " ".join(result.output.replace("│", " ").split())  # unwrapped from the error box
    assert "Invalid value for '--destination': 'sendgrid'" in text
    assert f"choose one of {', '.join(spec.name for spec in SPECS)}" in text


def test_klaviyo_s_own_options_are_refused_for_another_destination(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MAILCHIMP_API_KEY", raising=False)  # were it served, it would fail
    result = CliRunner().invoke(
        app, ["sandbox", "--destination", "mailchimp", "--state", "s.sqlite", "--no-engagement"]
    )

    assert result.exit_code == 2, result.output
    assert "--state, --no-engagement: only Klaviyo's sandbox takes these options" in result.output
    assert "MAILCHIMP_API_KEY" not in result.output
