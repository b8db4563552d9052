"""The packages' import boundaries (issue 15): the CLI package (nudge) imports nothing of the
Dagster code location (orchestration): it records its runs through the recorders of the
entry point group nudge.run_recorders and starts `nudge dagster` as a module run; Dagster
calls the service layer (activation.runs) rather than the CLI's command modules, activation
imports neither, and no package imports another package's private (`_`-prefixed) names."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("activation", "nudge", "orchestration")


def imports(package: str) -> Iterator[tuple[str, str, list[str]]]:
    """(file, imported module, names imported from it) for every import in the package."""
    for path in sorted((ROOT / package).rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(ROOT)}:{node.lineno}" if hasattr(node, "lineno") else ""
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield where, alias.name, []
            elif isinstance(node, ast.ImportFrom):
                yield where, absolute(module, node), [alias.name for alias in node.names]


def absolute(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")[: -node.level]
    return ".".join([*base, *([node.module] if node.module else [])])


def top(module: str) -> str:
    return module.split(".")[0]


def test_the_cli_package_imports_nothing_of_orchestration() -> None:
    found = [
        f"{where}: {module}"
        for where, module, _ in imports("nudge")
        if top(module) == "orchestration"
    ]
    assert found == []


def test_activation_imports_neither_the_cli_nor_orchestration() -> None:
    found = [
        f"{where}: {module}"
        for where, module, _ in imports("activation")
        if top(module) in ("nudge", "orchestration")
    ]
    assert found == []


def test_the_cli_finds_the_dagster_recorder_through_its_entry_point() -> None:
    """The installed package declares orchestration's recorder (pyproject.toml), so the CLI's
    runs reach the Dagster instance without importing it (a stale install would lose them)."""
    from nudge.run_recorders import GROUP
    from orchestration.recorded_runs import recorder_for

    assert [entry.load() for entry in entry_points(group=GROUP)] == [recorder_for]


def test_orchestration_imports_no_cli_command_module() -> None:
    found = [
        f"{where}: {module}"
        for where, module, _ in imports("orchestration")
        if module == "nudge.cli" or module.endswith("_command") or module.endswith(".commands")
    ]
    assert found == []


def test_no_private_name_crosses_packages() -> None:
    found = [
        f"{where}: {module}.{name}"
        for package in PACKAGES
        for where, module, names in imports(package)
        if top(module) in PACKAGES and top(module) != package
        for name in names
        if name.startswith("_")
    ]
    assert found == []
