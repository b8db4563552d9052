"""Where the raw contract's tables are: the dbt project's vars ``raw_schema``,
``raw_events_table``, ``raw_identifies_table`` and ``raw_product_catalog_table``
(dbt_project.yml), which the dbt sources read with the same defaults
(models/staging/_staging__sources.yml). Activation writes ESP feedback to, reads fresh
suppressions and preferences from, and erases people in the tables the models read, so a
warehouse whose raw events land as e.g. ``segment_prod.tracks`` needs those vars only."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal

import yaml

from .errors import ConfigurationError

PROJECT_FILE = Path(__file__).resolve().parents[1] / "dbt_project.yml"
SCHEMA_VAR = "raw_schema"
TABLE_VARS = {
    "events": "raw_events_table",
    "identifies": "raw_identifies_table",
    "product_catalog": "raw_product_catalog_table",
}
RawTableName = Literal["events", "identifies", "product_catalog"]
# the names are spliced into SQL unquoted, so only plain identifiers are taken
PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def raw_table(name: RawTableName) -> tuple[str, str]:
    """(schema, table) of one raw contract table, as the dbt sources name it."""
    return _raw_tables(PROJECT_FILE)[name]


def raw_relation(name: RawTableName) -> str:
    """``schema.table`` of one raw contract table, for SQL."""
    return ".".join(raw_table(name))


@cache
def _raw_tables(project_file: Path) -> dict[str, tuple[str, str]]:
    project = yaml.safe_load(project_file.read_text(encoding="utf-8")) or {}
    project_vars = project.get("vars") or {}
    schema = _plain(project_vars, SCHEMA_VAR, "raw", project_file)
    return {
        name: (schema, _plain(project_vars, var, name, project_file))
        for name, var in TABLE_VARS.items()
    }


def _plain(project_vars: dict[str, object], var: str, default: str, project_file: Path) -> str:
    value = project_vars.get(var)
    text = default if value is None else str(value)
    if not PLAIN_NAME.match(text):
        raise ConfigurationError(
            f"vars.{var} in {project_file} is {text!r}: activation reads the raw tables under "
            f"this name, so it must be a plain identifier (letters, digits, _), e.g. {default}"
        )
    return text
