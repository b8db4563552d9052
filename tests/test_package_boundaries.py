"""The packages' import boundaries (issue 15): the CLI package (nudge) reaches the Dagster
code location (orchestration) only through the one recorder of its own runs, Dagster calls
the service layer (activation.runs) rather than the CLI's command modules, and no package
imports another package's private (`_`-prefixed) names."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("activation", "nudge", "orchestration")
# nudge's runs are recorded as Dagster events built from the code location's asset keys and
# metadata, so the recorder (and the instance it writes, which `nudge dagster` opens) stay
# in orchestration; nothing else of it may be imported by the CLI package
CLI_MAY_IMPORT = {"orchestration.recorded_runs", "orchestration.instance"}


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


def test_the_cli_package_imports_only_the_recorder_from_orchestration() -> None:
    found = [
        f"{where}: {module}"
        for where, module, _ in imports("nudge")
        if top(module) == "orchestration" and module not in CLI_MAY_IMPORT
    ]
    assert found == []


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
