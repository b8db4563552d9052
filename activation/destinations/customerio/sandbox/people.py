"""Reading people back through Customer.io's App API, as the contract server answers it
(mixed into ``CustomerioApp``): ``POST /v1/customers/attributes?id_type=id`` with
``{"ids": [...]}`` (1 to 100) answers ``{"customers": [{"customer": {id, identifiers: {id,
email, cio_id}, attributes, timestamps, unsubscribed, devices}}]}``, people it does not know
left out. Attributes are answered as text (objects as stringified JSON); ``timestamps`` holds
when each attribute was last set (Unix seconds).
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from ....sandbox.framework import json_response

MAX_IDS = 100


class PeopleReadBack:
    """Needs ``lock``, ``people`` (id -> attributes), ``attribute_times`` (id -> attribute
    -> Unix seconds) and ``suppressed`` of the app."""

    lock: threading.RLock
    people: dict[str, dict[str, Any]]
    attribute_times: dict[str, dict[str, int]]
    suppressed: set[str]

    if TYPE_CHECKING:  # CustomerioApp's own

        def error(self, status: int, detail: str) -> Response: ...

    def on_customer_attributes(self, request: Request, body: Any) -> Response:
        if request.args.get("id_type", "id") != "id":
            return self.error(400, "only id_type=id is enabled in this workspace")
        ids = (body or {}).get("ids") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_IDS:
            return self.error(400, f"ids: give 1 to {MAX_IDS} customer ids")
        with self.lock:
            customers = [
                {"customer": self._customer(str(person_id))}
                for person_id in ids
                if str(person_id) in self.people
            ]
        return json_response(200, {"customers": customers})

    def _customer(self, person_id: str) -> dict[str, Any]:
        person = self.people[person_id]
        email = person.get("email")
        cio_id = f"cio{person_id}"
        attributes = {name: _text(value) for name, value in person.items()}
        attributes.update({"id": person_id, "cio_id": cio_id})
        return {
            "id": person_id,
            "identifiers": {"id": person_id, "email": email, "cio_id": cio_id},
            "attributes": attributes,
            "timestamps": dict(self.attribute_times.get(person_id, {})),
            "unsubscribed": person_id in self.suppressed,
            "devices": [],
        }


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
