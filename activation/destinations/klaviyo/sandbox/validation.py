"""Validate requests against Klaviyo's official OpenAPI spec with openapi-core.

The spec is 3 MB; it is parsed once per process and shared by every sandbox and test.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest
from openapi_core.validation.request.exceptions import (
    MissingRequestBodyError,
    ParameterValidationError,
    RequestBodyValidationError,
)
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from .errors import error_object

SPEC_REVISION = "2026-07-15"
SPEC_PATH = Path(__file__).resolve().parents[1] / "specs" / f"klaviyo-openapi-{SPEC_REVISION}.json"

_lock = threading.Lock()


@cache
def _spec_dict() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as handle:
        spec: dict[str, Any] = json.load(handle)
    return spec


def spec_dict() -> dict[str, Any]:
    """The parsed spec (shared; do not mutate)."""
    with _lock:
        return _spec_dict()


@cache
def _openapi() -> OpenAPI:
    spec = copy.copy(_spec_dict())
    # The spec names only https://a.klaviyo.com; a relative server matches any host, so the
    # same spec validates requests sent to the loopback sandbox.
    spec["servers"] = [{"url": "/"}]
    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))


def openapi() -> OpenAPI:
    """The openapi-core application for the spec, built once per process."""
    with _lock:
        return _openapi()


def request_errors(request: Request) -> list[dict[str, Any]]:
    """JSON:API error objects for everything in ``request`` the spec rejects ([] if valid)."""
    try:
        openapi().validate_request(WerkzeugOpenAPIRequest(request))
    except RequestBodyValidationError as exc:
        if isinstance(exc, MissingRequestBodyError):
            return [error_object("invalid", "Invalid input.", str(exc), pointer="/data")]
        return _schema_errors(exc, location="body")
    except ParameterValidationError as exc:
        errors = _schema_errors(exc, location="parameter", parameter=exc.name)
        return errors or [error_object("invalid", "Invalid input.", str(exc), parameter=exc.name)]
    except Exception as exc:  # any other openapi-core validation error
        return [error_object("invalid", "Invalid input.", f"{type(exc).__name__}: {exc}")]
    return []


def _schema_errors(
    exc: Exception, *, location: str, parameter: str | None = None
) -> list[dict[str, Any]]:
    cause = exc.__cause__
    schema_errors = getattr(cause, "schema_errors", None) or ()
    errors = []
    for schema_error in schema_errors:
        path = "/".join(str(part) for part in schema_error.absolute_path)
        if location == "body":
            errors.append(
                error_object("invalid", "Invalid input.", schema_error.message, pointer=f"/{path}")
            )
        else:
            errors.append(
                error_object(
                    "invalid",
                    "Invalid input.",
                    f"{exc}: {schema_error.message}",
                    parameter=parameter,
                )
            )
    if not errors and location == "body":
        errors.append(error_object("invalid", "Invalid input.", str(exc), pointer="/data"))
    return errors


def recorded_request(record: Mapping[str, Any], base_url: str = "http://127.0.0.1") -> Request:
    """Rebuild a werkzeug request from a sandbox request-log entry (for re-validation)."""
    body = record.get("body")
    data = None if body is None else body if isinstance(body, str) else json.dumps(body)
    headers = dict(record.get("headers") or {})
    content_type = headers.pop("Content-Type", None)
    headers.setdefault("Authorization", "Klaviyo-API-Key redacted")
    builder = EnvironBuilder(
        method=record["method"],
        path=record["path"],
        base_url=base_url,
        query_string=record.get("query_string") or None,
        headers=headers,
        data=data,
        content_type=content_type,
    )
    return Request(builder.get_environ())
