"""How a sandbox answers early: ``Refused`` carries the vendor's error response out of any
check (authentication, body, validation, a fault) to the request log."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response


class Refused(Exception):
    """Answer the request with ``response()`` instead of handling it."""

    def __init__(self, response: Response | None = None) -> None:
        super().__init__(None if response is None else response.status)
        self._response = response

    def response(self) -> Response:
        assert self._response is not None, "a Refused without a response must override it"
        return self._response


def json_response(
    status: int,
    payload: Any,
    mimetype: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Response:
    body = "" if payload is None else json.dumps(payload)
    return Response(body, status=status, mimetype=mimetype, headers=headers)
