"""Each destination is declared once (activation/destinations/<esp>/, listed in registry.py)
and nothing outside its folder knows it by name: its spec's capabilities are what its client
does, no module branches on a destination's name, and none reaches into a destination's
folder but the registry. Each folder is self-contained: its sandbox is in it, found through
its spec, and it imports nothing from another destination's folder. Tests are not scanned:
they exercise each destination's client."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from activation.destinations.registry import DESTINATIONS, SPECS, spec_for
from activation.destinations.spec import DestinationSpec
from activation.engagement.readers import engagement_reader
from activation.errors import ActivationError, ConfigurationError
from activation.sandbox.framework import SandboxApp
from activation.sandbox.serve_esp import sandbox_app
from activation.settings import DestinationSettings, RetryPolicy

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("activation", "nudge", "orchestration")
DESTINATIONS_DIR = ROOT / "activation" / "destinations"
NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing answers, every call fails at once

# Where importing from a destination's folder outside it is legitimate, and why.
IMPORT_ALLOWED = {
    # the send-runner benchmark times the Klaviyo client itself against the Klaviyo sandbox,
    # with the client's rate limiting switched off, which build_destination cannot ask for
    "activation/sends/bench.py",
    # `nudge sandbox` serves the Klaviyo sandbox with options only it has (a state file, the
    # engagement seed, the rate-limit scale) and refuses them for the others, whose sandboxes
    # are served through their specs alone (activation/sandbox/serve_esp.py)
    "nudge/sandbox_command.py",
    # the demo runs against an in-process Klaviyo sandbox and reads its events back
    "nudge/demo.py",
}


def settings_for(spec: DestinationSpec, **more_env: str) -> DestinationSettings:
    """The destination's settings from its example environment (every variable set) and
    ``more_env``, with every host pointed where nothing answers."""
    env = {
        variable: NOWHERE if value.startswith(("http://", "https://")) else value
        for variable, value in {**spec.example_env, **more_env}.items()
    }
    settings = spec.settings_from_env(env, retry=RetryPolicy(max_attempts=1, backoff_base=0.0))
    assert settings.destination == spec.name and settings.base_url == NOWHERE
    return replace(settings, connect_timeout=1.0, read_timeout=1.0)


def calls_the_destination(records: Iterator[object]) -> bool:
    """Whether reading ``records`` asks the destination (and so fails: nothing answers),
    rather than yielding nothing without a call."""
    try:
        next(iter(records), None)
    except ActivationError:
        return True
    return False


@pytest.fixture(params=SPECS, ids=lambda spec: spec.name)
def spec(request: pytest.FixtureRequest) -> DestinationSpec:
    return request.param  # type: ignore[no-any-return]


def test_the_registry_lists_each_destination_once() -> None:
    assert len(set(DESTINATIONS)) == len(SPECS) > 0


def test_each_capability_is_what_the_client_does(spec: DestinationSpec) -> None:
    settings = settings_for(spec)
    client = spec.client(settings, None)
    try:
        assert client.name == spec.name
        capabilities = spec.capabilities
        assert client.idempotent_events is spec.idempotent_events_with(settings)
        assert client.deduplication_window == spec.deduplication_window
        keeps_members = all(
            callable(getattr(client, method, None))
            for method in ("ensure_list", "add_list_members", "remove_list_members")
        )
        assert keeps_members == capabilities.membership
        reads_preferences = any(
            callable(getattr(client, method, None))
            for method in ("read_preferences", "read_preferences_of")
        )
        assert reads_preferences == capabilities.preferences
        assert calls_the_destination(client.read_suppressions(None)) == capabilities.suppressions
    finally:
        client.close()


def test_idempotent_events_is_declared_once_whatever_the_configuration(
    spec: DestinationSpec,
) -> None:
    """Idempotent under every configuration, or only under some (``idempotent_events_when``),
    never both."""
    assert not (spec.capabilities.idempotent_events and spec.idempotent_events_when)


def test_a_deduplication_window_is_declared_only_where_sends_alone_rely_on_it(
    spec: DestinationSpec,
) -> None:
    """Only where events are de-duplicated in some configurations (``idempotent_events_when``),
    never in all (``capabilities.idempotent_events``): the send runner minds the window, but
    ``object: events`` syncs re-send unconfirmed events however late (activation/sync.py),
    so a destination de-duplicating for a while only must take none."""
    if spec.deduplication_window is not None:
        assert spec.idempotent_events_when is not None
        assert not spec.capabilities.idempotent_events


@pytest.mark.parametrize(("campaigns", "idempotent"), [("", False), ("Abandoned Cart=cmp-1", True)])
def test_braze_is_idempotent_with_transactional_campaigns_alone(
    campaigns: str, idempotent: bool
) -> None:
    """Braze de-duplicates the events it sends through transactional campaigns, not custom
    events: its client and its spec say so for the configuration, and its declarations,
    read without one, take no ``object: events`` sync."""
    braze = spec_for("braze")
    settings = settings_for(braze, BRAZE_TRANSACTIONAL_CAMPAIGNS=campaigns)
    client = braze.client(settings, None)
    try:
        assert client.idempotent_events is braze.idempotent_events_with(settings) is idempotent
        # external_send_id is de-duplicated for 24 h (Braze's contract)
        assert client.deduplication_window == braze.deduplication_window == timedelta(hours=24)
    finally:
        client.close()
    assert braze.capabilities.idempotent_events is False


def test_engagement_is_pulled_where_claimed_and_explained_where_not(
    spec: DestinationSpec,
) -> None:
    settings = settings_for(spec)
    if not spec.capabilities.engagement:
        assert spec.engagement_reader is None and spec.no_engagement
        with pytest.raises(ConfigurationError, match="no engagement pull for"):
            engagement_reader(settings)
        return
    assert spec.no_engagement is None
    reader = engagement_reader(settings)
    try:
        assert calls_the_destination(reader.read(None, datetime(2026, 1, 1)))
    finally:
        reader.close()


# ---------------------------------------------------------------- no name outside


def source_files() -> Iterator[tuple[str, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            yield relative, ast.parse(path.read_text(encoding="utf-8"), relative)


def names_a_destination(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return node.value in DESTINATIONS
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(names_a_destination(element) for element in node.elts)
    return False


def name_branches(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Comparisons with a destination's name, dicts keyed by one and match cases on one."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            if any(names_a_destination(side) for side in (node.left, *node.comparators)):
                yield node.lineno, ast.unparse(node)
        elif isinstance(node, ast.Dict):
            if any(key is not None and names_a_destination(key) for key in node.keys):
                yield node.lineno, "a dict keyed by destination names"
        elif isinstance(node, ast.MatchValue) and names_a_destination(node.value):
            yield node.lineno, f"case {ast.unparse(node.value)}"


def outside_destinations(relative: str) -> bool:
    """Not in a destination's own folder (the shared destinations modules are outside)."""
    return destination_folder(relative.removesuffix(".py").replace("/", ".")) is None


def test_no_code_outside_the_destinations_branches_on_a_destination_name() -> None:
    found = [
        f"{relative}:{line}: {what}"
        for relative, tree in source_files()
        if outside_destinations(relative)
        for line, what in name_branches(tree)
    ]
    assert found == [], "ask the destination's spec (activation/destinations/spec.py) instead"


def imported_modules(relative: str, tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Every module ``tree`` imports (relative imports resolved; ``from x import y`` as both
    x and x.y, since y may be a module)."""
    package = relative.removesuffix(".py").split("/")[:-1]  # a/b/c.py and a/b/__init__.py: a.b
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            yield node.lineno, module
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"


def destination_folder(module: str) -> str | None:
    """The destination whose folder ``module`` is in (None: not in one)."""
    parts = module.split(".")
    if parts[:2] == ["activation", "destinations"] and len(parts) > 2:
        return parts[2] if parts[2] in DESTINATIONS else None
    return None


def test_only_the_registry_reaches_into_a_destinations_folder() -> None:
    registry = "activation/destinations/registry.py"
    found = []
    for relative, tree in source_files():
        own = destination_folder(relative.removesuffix(".py").replace("/", "."))
        if relative == registry or relative in IMPORT_ALLOWED:
            continue
        for line, module in imported_modules(relative, tree):
            other = destination_folder(module)
            if other is not None and other != own:
                found.append(f"{relative}:{line}: imports {module}")
    assert found == [], "reach a destination through activation.destinations (its spec)"


# ---------------------------------------------------------------- each in its own folder


def test_each_destination_s_sandbox_is_its_own_found_through_its_spec(
    spec: DestinationSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m activation.destinations.<esp>.sandbox` serves the sandbox its spec builds,
    from the same environment its client reads, and the sandbox is in its folder."""
    for variable, value in spec.example_env.items():
        monkeypatch.setenv(variable, value)
    app = sandbox_app(spec.name)
    try:
        assert isinstance(app, SandboxApp)
        assert type(app).__module__.startswith(f"activation.destinations.{spec.name}.sandbox.")
    finally:
        app.close()
    assert importlib.util.find_spec(f"activation.destinations.{spec.name}.sandbox.__main__")


def test_reading_the_specs_imports_no_client_reader_or_sandbox() -> None:
    """Declarations are read through the specs; each destination's client, engagement reader
    and sandbox are imported only when one is built (in a fresh interpreter: this one has
    imported them all)."""
    listed = subprocess.run(
        [sys.executable, "-c", "import sys, activation.destinations.registry; print(*sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.split()
    built_when_asked = {"client", "engagement", "sandbox"}  # <esp>.client, <esp>.sandbox.app, …
    loaded = [
        m for m in listed if destination_folder(m) and {*m.split(".")[3:4]} & built_when_asked
    ]
    assert "activation.destinations.registry" in listed and loaded == []


def port_defaults(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Defaults given to a ``port`` parameter or a ``--port`` option other than 0 (a free
    port) and None (the caller's choice)."""

    def fixed(default: ast.expr) -> bool:
        return isinstance(default, ast.Constant) and default.value not in (0, None)

    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args
            positional = [*arguments.posonlyargs, *arguments.args]
            defaults = [
                *zip(
                    positional[len(positional) - len(arguments.defaults) :],
                    arguments.defaults,
                    strict=True,
                ),
                *zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True),
            ]
            for argument, default in defaults:
                if argument.arg == "port" and default is not None and fixed(default):
                    yield node.lineno, f"{node.name}(port={ast.unparse(default)})"
        elif isinstance(node, ast.Call) and any(
            isinstance(a, ast.Constant) and a.value == "--port" for a in node.args
        ):
            for keyword in node.keywords:
                if keyword.arg == "default" and fixed(keyword.value):
                    yield node.lineno, ast.unparse(node)


def test_a_sandbox_s_default_port_is_set_in_its_spec_alone() -> None:
    """Whatever serves a sandbox takes its port from the caller, whose default is the spec's
    ``sandbox.default_port``."""
    serving = ("activation/sandbox/", "nudge/sandbox_command.py")
    found = [
        f"{relative}:{line}: {what}"
        for relative, tree in source_files()
        if relative.startswith(serving) or not outside_destinations(relative)
        for line, what in port_defaults(tree)
    ]
    assert found == [], "default to spec.sandbox.default_port (activation/sandbox/serve_esp.py)"


def test_every_sandbox_is_in_a_destination_s_folder() -> None:
    """Outside the destinations' folders there is only the framework the sandboxes share."""
    found = [
        f"{relative}:{node.lineno}: {node.name}"
        for relative, tree in source_files()
        if outside_destinations(relative)
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(ast.unparse(base).endswith("SandboxApp") for base in node.bases)
    ]
    assert found == [], "a sandbox belongs in activation/destinations/<esp>/sandbox/"


def test_no_destination_s_folder_imports_another_s() -> None:
    """A destination's folder, its sandbox included, shares code with the others only
    through what is outside every folder (activation/destinations/*.py, the framework)."""
    found = []
    for relative, tree in source_files():
        own = destination_folder(relative.removesuffix(".py").replace("/", "."))
        if own is None:
            continue
        for line, module in imported_modules(relative, tree):
            other = destination_folder(module)
            if other is not None and other != own:
                found.append(f"{relative}:{line}: imports {module}")
    assert found == []
