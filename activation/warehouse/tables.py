"""Activation state tables declared once, engine-neutral: column names, portable kinds and
the primary key. Each engine maps a kind to its own type name (``TYPE_NAMES`` of its
implementation) and creates or migrates the table the same way (``ensure_table``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnKind = Literal["text", "integer", "bigint", "double", "timestamp", "boolean"]


@dataclass(frozen=True)
class Column:
    name: str
    kind: ColumnKind
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    """A table written by activation. Columns are in their stored order; migrations only
    append nullable columns, so a column added later goes at the end with ``nullable``."""

    schema: str
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = self.column_names
        missing = [key for key in self.primary_key if key not in names]
        if missing:
            raise ValueError(f"{self.qualified}: primary key columns {missing} are not columns")
        if len(set(names)) != len(names):
            raise ValueError(f"{self.qualified}: duplicate column names")

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


def text(name: str, *, nullable: bool = True) -> Column:
    return Column(name, "text", nullable)


def integer(name: str, *, nullable: bool = True) -> Column:
    return Column(name, "integer", nullable)


def double(name: str, *, nullable: bool = True) -> Column:
    return Column(name, "double", nullable)


def timestamp(name: str, *, nullable: bool = True) -> Column:
    return Column(name, "timestamp", nullable)
