"""Reading an ESP's 2xx answer as the JSON its API documents. A body that is not (a proxy's
or load balancer's HTML page answered with 200, a body cut off mid-way, a JSON array where
an object belongs) raises ``MalformedResponse`` naming the destination, the method and path,
and what came instead, rather than a traceback or a silently empty result.

It is ``retryable``, as an outage is: such a body almost always comes from something between
us and the ESP (a captive proxy, a gateway mid-deploy), so no row is at fault. A sync's rows
of that batch fail with the reason and are sent again next run; a send waits for the next
run without costing an attempt; a read-back or pull stops without advancing its cursor.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import requests

from ..errors import DestinationError
from ..settings import Secret, redact

SHOWN_CHARS = 200


class MalformedResponse(DestinationError):
    """A 2xx answer whose body is not the JSON the ESP documents."""


def json_body(
    response: requests.Response,
    destination: str,
    *,
    secrets: Iterable[Secret | str] = (),
    expect: type = dict,
) -> Any:
    """The body of ``response`` as JSON of type ``expect`` (a JSON object by default)."""
    content_type = response.headers.get("Content-Type", "no content type").split(";")[0]
    try:
        body = response.json()
    except ValueError:
        problem = f"expected JSON, got {content_type}"
        raise _malformed(response, destination, problem, secrets) from None
    if not isinstance(body, expect):
        problem = f"expected a JSON {_json_kind(expect)}, got a JSON {_json_kind(type(body))}"
        raise _malformed(response, destination, problem, secrets)
    return body


def _malformed(
    response: requests.Response, destination: str, problem: str, secrets: Iterable[Secret | str]
) -> MalformedResponse:
    request = response.request
    path = urlsplit(request.url or "").path if request is not None else "?"
    method = (request.method or "?") if request is not None else "?"
    text = response.text
    shown = text[:SHOWN_CHARS] + ("…" if len(text) > SHOWN_CHARS else "")
    message = f"{destination} {method} {path}: {problem} (HTTP {response.status_code}): {shown!r}"
    return MalformedResponse(
        redact(message, tuple(secrets)), status=response.status_code, retryable=True
    )


_JSON_KINDS: dict[type, str] = {dict: "object", list: "array", str: "string"}


def _json_kind(kind: type) -> str:
    return _JSON_KINDS.get(kind, kind.__name__)
