"""The Klaviyo sandbox over real HTTP: authentication, revisions, the profile, bulk import,
list and event endpoints, spec validation, fault injection and persistence. Every response
the sandbox gives is itself checked against Klaviyo's OpenAPI spec."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from activation.destinations.klaviyo.sandbox import SandboxHandle, start_sandbox
from activation.destinations.klaviyo.sandbox.validation import SPEC_REVISION, openapi

API_KEY = "pk_sandbox_test_0123456789"
JSON_API = "application/vnd.api+json"


class Api:
    """A requests session speaking to the sandbox; checks every response against the spec."""

    def __init__(self, sandbox: SandboxHandle, key: str | None = API_KEY) -> None:
        self.base_url = sandbox.base_url
        self.session = requests.Session()
        self.session.headers.update({"revision": SPEC_REVISION, "Accept": JSON_API})
        if key is not None:
            self.session.headers["Authorization"] = f"Klaviyo-API-Key {key}"

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: dict[str, str] | None = None,
        headers: Mapping[str, str | None] | None = None,
    ) -> requests.Response:
        merged: dict[str, str | None] = dict(headers or {})
        if body is not None:
            merged.setdefault("Content-Type", JSON_API)
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        data = None if body is None else json.dumps(body)
        response = self.session.request(
            method, url, params=params, data=data, headers=merged, timeout=10
        )
        openapi().validate_response(
            RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response)
        )
        return response

    def import_profile(self, **attributes: Any) -> requests.Response:
        return self.call(
            "POST", "/api/profile-import", {"data": {"type": "profile", "attributes": attributes}}
        )

    def create_list(self, name: str) -> str:
        response = self.call(
            "POST", "/api/lists", {"data": {"type": "list", "attributes": {"name": name}}}
        )
        assert response.status_code == 201
        return str(response.json()["data"]["id"])

    def members(self, list_id: str, path: str, method: str, profile_ids: list[str]) -> int:
        body = {"data": [{"type": "profile", "id": profile_id} for profile_id in profile_ids]}
        return self.call(method, path.format(list_id=list_id), body).status_code

    def pages(self, path: str, params: dict[str, str]) -> list[list[dict[str, Any]]]:
        pages = []
        url: str | None = path
        query: dict[str, str] | None = params
        while url:
            response = self.call("GET", url, params=query)
            assert response.status_code == 200, response.text
            pages.append(response.json()["data"])
            url, query = response.json()["links"].get("next"), None
        return pages


MEMBERS_PATH = "/api/lists/{list_id}/relationships/profiles"


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    handle = start_sandbox(API_KEY)
    yield handle
    handle.stop()


@pytest.fixture
def api(sandbox: SandboxHandle) -> Api:
    return Api(sandbox)


def _error(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(JSON_API)
    (error,) = response.json()["errors"]
    assert {"id", "code", "title", "detail"} <= error.keys()
    return dict(error)


def _event(email: str, unique_id: str | None, metric: str = "Placed Order") -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "properties": {"order_id": "o-1"},
        "metric": {"data": {"type": "metric", "attributes": {"name": metric}}},
        "profile": {"data": {"type": "profile", "attributes": {"email": email}}},
        "time": "2026-07-01T12:00:00Z",
        "value": 42.5,
    }
    if unique_id is not None:
        attributes["unique_id"] = unique_id
    return {"data": {"type": "event", "attributes": attributes}}


# ------------------------------------------------------------------ auth, revision


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, "not_authenticated"),
        ("Klaviyo-API-Key pk_wrong_key_999", "authentication_failed"),
        (f"Bearer {API_KEY}", "authentication_failed"),
        ("Klaviyo-API-Key", "authentication_failed"),
    ],
)
def test_a_missing_or_wrong_api_key_gets_a_401_json_api_error(
    sandbox: SandboxHandle, authorization: str | None, code: str
) -> None:
    api = Api(sandbox, key=None)
    headers = {} if authorization is None else {"Authorization": authorization}
    error = _error(api.call("GET", "/api/profiles", headers=headers), 401)
    assert error["code"] == code
    assert "pk_wrong_key_999" not in json.dumps(error)
    assert sandbox.state()["profiles"] == 0


@pytest.mark.parametrize("revision", [None, "", "2099-01-01", "yesterday", "2024-13-40"])
def test_a_missing_or_unknown_revision_gets_a_400(api: Api, revision: str | None) -> None:
    error = _error(api.call("GET", "/api/profiles", headers={"revision": revision}), 400)
    assert error["code"] in ("missing_revision", "invalid_revision")
    assert error["source"] == {"parameter": "revision"}


def test_older_revisions_and_suffixed_ones_are_accepted(api: Api) -> None:
    for revision in ("2024-10-15", f"{SPEC_REVISION}.pre"):
        assert api.call("GET", "/api/profiles", headers={"revision": revision}).status_code == 200


def test_the_request_log_never_records_the_api_key(sandbox: SandboxHandle, api: Api) -> None:
    api.import_profile(email="a@example.com")
    Api(sandbox, key="pk_wrong_key_999").call("GET", "/api/profiles")
    logged = json.dumps(sandbox.requests())
    assert API_KEY not in logged and "pk_wrong_key_999" not in logged
    assert [entry["status"] for entry in sandbox.requests()] == [201, 401]


# ------------------------------------------------------------------------ profiles


def test_profile_import_creates_then_updates_the_same_profile(
    sandbox: SandboxHandle, api: Api
) -> None:
    created = api.import_profile(
        email="Ada@Example.com",
        first_name="Ada",
        location={"timezone": "Europe/London"},
        properties={"rfm_segment": "champions", "orders": 3},
    )
    assert created.status_code == 201
    updated = api.import_profile(
        email="ada@example.com", last_name="Lovelace", properties={"rfm_segment": "loyal"}
    )
    assert updated.status_code == 200
    assert updated.json()["data"]["id"] == created.json()["data"]["id"]
    attributes = updated.json()["data"]["attributes"]
    assert (attributes["first_name"], attributes["last_name"]) == ("Ada", "Lovelace")
    assert attributes["location"] == {"timezone": "Europe/London"}
    assert attributes["properties"] == {"rfm_segment": "loyal", "orders": 3}  # merged
    assert len(sandbox.profiles()) == 1
    cleared = api.import_profile(email="ada@example.com", first_name=None)
    assert cleared.json()["data"]["attributes"]["first_name"] is None


def test_profile_import_rejects_an_invalid_email_and_conflicting_identifiers(api: Api) -> None:
    error = _error(api.import_profile(email="not-an-email"), 400)
    assert error["source"]["pointer"] == "/data/attributes/email"
    api.import_profile(email="a@example.com")
    api.import_profile(email="b@example.com", external_id="c-2")
    conflict = _error(api.import_profile(email="a@example.com", external_id="c-2"), 409)
    assert conflict["code"] == "duplicate_profile"


def test_profiles_filter_by_email_and_paginate(api: Api) -> None:
    ids = [api.import_profile(email=f"p{i}@example.com").json()["data"]["id"] for i in range(5)]
    (only,) = api.pages("/api/profiles", {"filter": 'equals(email,"P3@example.com")'})
    assert [profile["id"] for profile in only] == [ids[3]]
    (some,) = api.pages(
        "/api/profiles", {"filter": 'any(email,["p0@example.com","p4@example.com","x@y.zz"])'}
    )
    assert {profile["id"] for profile in some} == {ids[0], ids[4]}
    pages = api.pages("/api/profiles", {"page[size]": "2"})
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [profile["id"] for page in pages for profile in page] == ids
    error = _error(api.call("GET", "/api/profiles", params={"filter": "equals(city,'x')"}), 400)
    assert error["source"] == {"parameter": "filter"}


# ----------------------------------------------------------------------- bulk import


def test_a_bulk_import_job_completes_and_reports_bad_rows(sandbox: SandboxHandle, api: Api) -> None:
    list_id = api.create_list("Bulk")
    api.import_profile(email="known@example.com", first_name="Old")
    profiles = [
        {"type": "profile", "attributes": {"email": "known@example.com", "first_name": "New"}},
        {"type": "profile", "attributes": {"email": "fresh@example.com", "external_id": "c-9"}},
        {"type": "profile", "attributes": {"email": "bad@@example"}},
    ]
    job = {
        "data": {
            "type": "profile-bulk-import-job",
            "attributes": {"profiles": {"data": profiles}},
            "relationships": {"lists": {"data": [{"type": "list", "id": list_id}]}},
        }
    }
    accepted = api.call("POST", "/api/profile-bulk-import-jobs", job)
    assert accepted.status_code == 202
    assert accepted.json()["data"]["attributes"]["total_count"] == 3
    job_id = accepted.json()["data"]["id"]
    assert sandbox.wait_for_jobs(10)

    status = api.call("GET", f"/api/profile-bulk-import-jobs/{job_id}").json()["data"]
    assert status["attributes"]["status"] == "complete"
    assert (status["attributes"]["completed_count"], status["attributes"]["failed_count"]) == (2, 1)
    (errors,) = api.pages(f"/api/profile-bulk-import-jobs/{job_id}/import-errors", {})
    (error,) = errors
    assert (
        error["attributes"]["source"]["pointer"]
        == "/data/attributes/profiles/data/2/attributes/email"
    )
    assert error["attributes"]["original_payload"]["attributes"]["email"] == "bad@@example"

    assert sorted(p["email"] for p in sandbox.list_members("Bulk")) == [
        "fresh@example.com",
        "known@example.com",
    ]
    assert sandbox.profile("known@example.com")["first_name"] == "New"  # type: ignore[index]
    assert sandbox.state()["profiles"] == 2
    missing = api.call("GET", "/api/profile-bulk-import-jobs/01NOSUCHJOB")
    assert _error(missing, 404)["code"] == "not_found"


def test_a_bulk_import_job_into_a_missing_list_is_refused(api: Api) -> None:
    job = {
        "data": {
            "type": "profile-bulk-import-job",
            "attributes": {
                "profiles": {"data": [{"type": "profile", "attributes": {"email": "a@b.co"}}]}
            },
            "relationships": {"lists": {"data": [{"type": "list", "id": "NoList"}]}},
        }
    }
    error = _error(api.call("POST", "/api/profile-bulk-import-jobs", job), 400)
    assert error["source"]["pointer"] == "/data/relationships/lists/data/0/id"


# -------------------------------------------------------------------------- lists


def test_list_membership_add_remove_and_paginate(sandbox: SandboxHandle, api: Api) -> None:
    list_id = api.create_list("Subscribers")
    (found,) = api.pages("/api/lists", {"filter": 'equals(name,"Subscribers")'})
    assert [item["id"] for item in found] == [list_id]
    ids = [api.import_profile(email=f"m{i}@example.com").json()["data"]["id"] for i in range(5)]

    assert api.members(list_id, MEMBERS_PATH, "POST", ids) == 204
    assert api.members(list_id, MEMBERS_PATH, "POST", ids[:2]) == 204  # idempotent
    pages = api.pages(MEMBERS_PATH.format(list_id=list_id), {"page[size]": "2"})
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [item["id"] for page in pages for item in page] == ids

    assert api.members(list_id, MEMBERS_PATH, "DELETE", [ids[1], ids[3]]) == 204
    assert [p["id"] for p in sandbox.list_members(list_id)] == [ids[0], ids[2], ids[4]]
    assert sandbox.state()["members_by_list"] == {f"Subscribers ({list_id})": 3}
    assert sandbox.state()["profiles"] == 5  # leaving a list keeps the profile

    (filtered,) = api.pages(
        MEMBERS_PATH.format(list_id=list_id), {"filter": 'equals(email,"m2@example.com")'}
    )
    assert [item["id"] for item in filtered] == [ids[2]]
    unknown = _error(api.call("POST", MEMBERS_PATH.format(list_id="Nope12"), {"data": []}), 404)
    assert unknown["code"] == "not_found"
    no_profile = [{"type": "profile", "id": "01NOTAPROFILE"}]
    assert _error(
        api.call("POST", MEMBERS_PATH.format(list_id=list_id), {"data": no_profile}), 400
    )["source"] == {"pointer": "/data"}


# ------------------------------------------------------------------------- events


def test_events_are_deduplicated_by_unique_id(sandbox: SandboxHandle, api: Api) -> None:
    for unique_id in ("order-1", "order-1", "order-2"):
        response = api.call("POST", "/api/events", _event("buyer@example.com", unique_id))
        assert response.status_code == 202
    api.call("POST", "/api/events", _event("other@example.com", "order-1"))  # other profile
    api.call("POST", "/api/events", _event("buyer@example.com", "order-1", metric="Refund"))
    events = sandbox.events()
    assert len(events) == 4
    assert sorted(e["unique_id"] for e in events if e["metric_name"] == "Placed Order") == [
        "order-1",
        "order-1",
        "order-2",
    ]
    assert sandbox.state()["profiles"] == 2
    listed = api.call("GET", "/api/events").json()["data"]
    assert listed[0]["attributes"]["event_properties"]["$event_id"] == "order-1"
    assert listed[0]["attributes"]["event_properties"]["$value"] == 42.5


def test_events_without_unique_id_dedupe_on_profile_metric_and_second(
    sandbox: SandboxHandle, api: Api
) -> None:
    api.call("POST", "/api/events", _event("buyer@example.com", None))
    api.call("POST", "/api/events", _event("buyer@example.com", None))
    assert sandbox.state()["events"] == 1


# ------------------------------------------------------------------- spec validation


@pytest.mark.parametrize(
    ("path", "body", "pointer"),
    [
        ("/api/profile-import", {"data": {"type": "person", "attributes": {}}}, "/data/type"),
        ("/api/profile-import", {"data": {"type": "profile", "attributes": {"email": 7}}}, None),
        ("/api/lists", {"data": {"type": "list"}}, "/data"),
        ("/api/events", {"data": {"type": "event", "attributes": {"properties": {}}}}, None),
        ("/api/profile-bulk-import-jobs", {"data": []}, None),
    ],
)
def test_a_body_the_openapi_spec_rejects_gets_a_400(
    sandbox: SandboxHandle, api: Api, path: str, body: Any, pointer: str | None
) -> None:
    response = api.call("POST", path, body)
    assert response.status_code == 400, response.text
    errors = response.json()["errors"]
    if pointer is not None:
        assert pointer in [error["source"].get("pointer") for error in errors]
    (logged,) = sandbox.requests()
    assert logged["validation"] == "failed" and logged["errors"] == errors
    assert sandbox.state()["profiles"] == sandbox.state()["lists"] == 0


def test_query_parameters_are_validated_and_content_type_is_enforced(api: Api) -> None:
    too_big = api.call("GET", "/api/profiles", params={"page[size]": "500"})
    assert _error(too_big, 400)["source"].get("parameter") == "page[size]"
    body = {"data": {"type": "list", "attributes": {"name": "x"}}}
    plain = api.call("POST", "/api/lists", body, headers={"Content-Type": "application/json"})
    assert _error(plain, 415)["code"] == "unsupported_media_type"


def test_valid_requests_are_logged_as_validated(sandbox: SandboxHandle, api: Api) -> None:
    api.import_profile(email="a@example.com")
    api.call("GET", "/api/profiles")
    assert [entry["validation"] for entry in sandbox.requests()] == ["passed", "passed"]


# ------------------------------------------------------------------- fault injection


def test_injected_faults_answer_with_retry_after_then_stop(
    sandbox: SandboxHandle, api: Api
) -> None:
    sandbox.inject_fault(429, method="GET", path="^/api/profiles$", retry_after=2, times=2)
    first = api.call("GET", "/api/profiles")
    assert _error(first, 429)["code"] == "throttled"
    assert first.headers["Retry-After"] == "2"
    assert api.call("GET", "/api/profiles").status_code == 429
    assert api.call("GET", "/api/profiles").status_code == 200  # used up
    assert api.import_profile(email="a@example.com").status_code == 201  # other endpoint
    assert [entry["fault"] for entry in sandbox.requests()] == [
        {"status": 429, "retry_after": 2},
        {"status": 429, "retry_after": 2},
        None,
        None,
    ]
    sandbox.inject_fault(503, times=None)
    assert _error(api.call("GET", "/api/lists"), 503)["code"] == "service_unavailable"
    assert api.import_profile(email="b@example.com").status_code == 503  # not applied
    assert sandbox.state()["profiles"] == 1
    sandbox.clear_faults()
    assert api.call("GET", "/api/lists").status_code == 200


def test_a_share_of_requests_can_fail_and_faults_can_be_set_over_http(
    sandbox: SandboxHandle, api: Api
) -> None:
    added = requests.post(
        f"{sandbox.base_url}/_sandbox/faults", json={"status": 500, "share": 0.5, "times": None}
    )
    assert added.json()["faults"][0]["share"] == 0.5
    statuses = [api.call("GET", "/api/profiles").status_code for _ in range(40)]
    assert 5 < statuses.count(500) < 35 and statuses.count(200) == 40 - statuses.count(500)
    bad = requests.post(f"{sandbox.base_url}/_sandbox/faults", json={"status": 200})
    assert bad.status_code == 400
    requests.delete(f"{sandbox.base_url}/_sandbox/faults")
    assert sandbox.state()["faults"] == []


# ----------------------------------------------------------------------- persistence


def test_state_survives_a_restart_on_the_same_state_path(tmp_path: Path) -> None:
    state_path = tmp_path / "klaviyo.sqlite"
    with start_sandbox(API_KEY, state_path=state_path) as first:
        api = Api(first)
        list_id = api.create_list("Kept")
        profile_id = api.import_profile(email="kept@example.com").json()["data"]["id"]
        api.members(list_id, MEMBERS_PATH, "POST", [profile_id])
        api.call("POST", "/api/events", _event("kept@example.com", "e-1"))
        before = first.state()
    with start_sandbox(API_KEY, state_path=state_path) as second:
        after = second.state()
        assert [p["id"] for p in second.list_members("Kept")] == [profile_id]
        again = Api(second).import_profile(email="kept@example.com")
        assert (again.status_code, again.json()["data"]["id"]) == (200, profile_id)
        Api(second).call("POST", "/api/events", _event("kept@example.com", "e-1"))
        assert second.state()["events"] == 1
    for key in ("profiles", "lists", "list_members", "members_by_list", "events"):
        assert after[key] == before[key]
    with start_sandbox(API_KEY) as fresh:  # no state_path: in memory
        assert fresh.state()["profiles"] == 0


def test_without_validation_a_malformed_body_is_still_a_400() -> None:
    with start_sandbox(API_KEY, validate=False) as loose:
        response = Api(loose).call("POST", "/api/lists", {"data": {"type": "list"}})
        assert "Malformed request body" in _error(response, 400)["detail"]
        assert loose.requests()[0]["validation"] == "skipped"


def test_serve_runs_the_sandbox_from_the_command_line(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "KLAVIYO_API_KEY": API_KEY}
    command = [sys.executable, "-m", "activation.destinations.klaviyo.sandbox", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--state", str(tmp_path / "cli.sqlite")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                state = requests.get(f"{base_url}/_sandbox/state", timeout=1).json()
                break
            except requests.ConnectionError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        assert state["profiles"] == 0
        headers = {"Authorization": f"Klaviyo-API-Key {API_KEY}", "revision": SPEC_REVISION}
        assert requests.get(f"{base_url}/api/lists", headers=headers, timeout=5).ok
    finally:
        process.terminate()
        process.wait(timeout=10)
