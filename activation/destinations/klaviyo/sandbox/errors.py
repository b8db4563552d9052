"""JSON:API errors the sandbox answers with, shaped like Klaviyo's."""

from __future__ import annotations

import json
import uuid
from typing import Any

from werkzeug.wrappers import Response

from ....sandbox.framework import Refused

JSON_API = "application/vnd.api+json"

# the code and title Klaviyo answers a status with, when nothing more specific applies
STATUS_ERRORS = {
    400: ("invalid", "Invalid input."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "Method not allowed."),
    413: ("payload_too_large", "Payload too large."),
    415: ("unsupported_media_type", "Unsupported media type."),
    429: ("throttled", "Request was throttled."),
    500: ("error", "A server error occurred."),
    502: ("bad_gateway", "Bad gateway."),
    503: ("service_unavailable", "Service unavailable."),
    504: ("gateway_timeout", "Gateway timeout."),
}


class SandboxError(Refused):
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
        super().__init__()
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.pointer = pointer
        self.parameter = parameter
        self.meta = meta

    def __str__(self) -> str:
        return self.detail

    @classmethod
    def for_status(cls, status: int, detail: str) -> SandboxError:
        code, title = STATUS_ERRORS.get(status, ("error", "An error occurred."))
        return cls(status, code, title, detail)

    def response(self) -> Response:
        return json_api_response(self.status, {"errors": [self.to_error()]})

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


def json_api_response(status: int, payload: Any) -> Response:
    return Response(json.dumps(payload), status=status, mimetype=JSON_API)
