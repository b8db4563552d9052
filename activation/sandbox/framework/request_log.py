"""The request log every sandbox keeps: one entry per request answered (or dropped), never
with the Authorization header, so a test can see what a client sent and what it got.

Each entry: seq, time (arrival, epoch seconds), method, path, query_string, args, headers
(only the ones named), body (parsed JSON, else the text), status (None: the connection was
dropped), validation ("passed", "failed", or "skipped" when the server does not validate or
the request was refused before it), fault (the injected fault or rate limit that answered it,
or None), and whatever the server adds for its error answers.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
UNPARSED_BODY_CHARS = 2000


@dataclass
class Note:
    """What the log records about a request beyond the request and the response."""

    time: float
    validation: str = "skipped"
    fault: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)  # added to the answer


class RequestLog:
    def __init__(self, logged_headers: tuple[str, ...], max_entries: int = 50_000) -> None:
        self._logged_headers = logged_headers
        self._entries: deque[dict[str, Any]] = deque(maxlen=max_entries)
        self._lock = threading.Lock()
        self._seq = 0

    def record(
        self,
        request: Request,
        body: Any,
        response: Response | None,
        note: Note,
        details: dict[str, Any] | None = None,
    ) -> None:
        if body is None and request.method in WRITE_METHODS:
            body = _raw_body(request)
        entry: dict[str, Any] = {
            "time": note.time,
            "method": request.method,
            "path": request.path,
            "query_string": request.query_string.decode(),
            "args": {key: request.args.getlist(key) for key in request.args},
            "headers": {
                name: request.headers[name]
                for name in self._logged_headers
                if name in request.headers
            },
            "body": body,
            "status": None if response is None else response.status_code,
            "validation": note.validation,
            "fault": note.fault,
            **(details or {}),
        }
        with self._lock:
            self._seq += 1
            entry["seq"] = self._seq
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(entry) for entry in self._entries]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def _raw_body(request: Request) -> Any:
    """A body the server did not parse (refused before, or not JSON)."""
    raw = request.get_data(cache=True, as_text=True)
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw[:UNPARSED_BODY_CHARS]
