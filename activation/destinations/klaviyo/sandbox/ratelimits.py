"""Klaviyo's per-endpoint rate limits, read from the spec's ``x-klaviyo-ratelimit`` (e.g.
``{"burst": "10/s", "steady": "150/m"}``) for every operation, so the sandbox's default is
exactly Klaviyo's documented limits: a burst window of 1 s, a steady one of 1 min and, on a
few endpoints, a daily one, each operation with its own budget (counted and scaled by the
framework's ``RateLimiter``; overrides name the operation id).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ....sandbox.framework.rate_limits import Budget, Window, parse_rate
from .validation import spec_dict

_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Operation(Budget):
    """One operation of the spec; its budget's key is its operation id."""

    method: str
    pattern: re.Pattern[str]

    @property
    def operation_id(self) -> str:
        return self.key


@cache
def operations() -> tuple[Operation, ...]:
    """Every operation of the spec that documents a rate limit."""
    found = []
    for template, item in spec_dict()["paths"].items():
        regex = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
        for method in _METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict) or "x-klaviyo-ratelimit" not in operation:
                continue
            limits = operation["x-klaviyo-ratelimit"]
            windows = tuple(
                Window(name, *parse_rate(str(rate)))
                for name, rate in sorted(limits.items())
                if rate
            )
            found.append(Operation(operation["operationId"], windows, method.upper(), regex))
    # literal paths before templated ones (/api/lists before /api/lists/{id})
    found.sort(key=lambda op: op.pattern.pattern.count("[^/]+"))
    return tuple(found)


def operation_for(method: str, path: str) -> Operation | None:
    for operation in operations():
        if operation.method == method.upper() and operation.pattern.match(path):
            return operation
    return None
