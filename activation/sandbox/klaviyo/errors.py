"""JSON:API errors the sandbox answers with, shaped like Klaviyo's."""

from __future__ import annotations

import uuid
from typing import Any


class SandboxError(Exception):
    """An error that becomes one JSON:API error response."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str,
        *,
        pointer: str | None = None,
        parameter: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.pointer = pointer
        self.parameter = parameter
        self.meta = meta

    def to_error(self) -> dict[str, Any]:
        return error_object(
            self.code,
            self.title,
            self.detail,
            pointer=self.pointer,
            parameter=self.parameter,
            meta=self.meta,
        )


def error_object(
    code: str,
    title: str,
    detail: str,
    *,
    pointer: str | None = None,
    parameter: str | None = None,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    source: dict[str, str] = {}
    if pointer is not None:
        source["pointer"] = pointer
    if parameter is not None:
        source["parameter"] = parameter
    error: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "code": code,
        "title": title,
        "detail": detail,
        "source": source,
    }
    if meta:
        error["meta"] = meta
    return error


def invalid(
    detail: str, *, pointer: str | None = None, parameter: str | None = None
) -> SandboxError:
    return SandboxError(
        400, "invalid", "Invalid input.", detail, pointer=pointer, parameter=parameter
    )


def not_found(detail: str) -> SandboxError:
    return SandboxError(404, "not_found", "Not found.", detail)
