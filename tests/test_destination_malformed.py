"""An ESP answering 200 with a body that is not its JSON (a proxy's HTML page, a body cut off
mid-way) is a named error naming the destination, the method and path and what came
instead: the suppression read-back and the engagement pull stop without advancing their
cursor (the CLI prints one line and exits non-zero), a sync fails that batch's rows with the
reason, and the next run, answered properly, loses nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests

from activation.destinations.braze.sandbox import start_braze
from activation.destinations.klaviyo.sandbox import SandboxHandle, start_sandbox
from activation.destinations.mailchimp.client import MailchimpDestination
from activation.destinations.responses import MalformedResponse, json_body
from activation.errors import ActivationError
from activation.sandbox.framework import EngagementConfig
from activation.sends import read_back_suppressions, run_sends
from activation.sync import run_sync
from tests import test_destination_braze as braze
from tests import test_destination_mailchimp as mailchimp
from tests.contract_servers.audience import declaration, make_warehouse
from tests.sends_helpers import (
    API_KEY,
    cli_sandbox,
    invalid_requests,
    nudge,
    profile_row,
    send_row,
    settings,
    sql,
)
from tests.sends_helpers import make_warehouse as make_sends_warehouse

PROXY_PAGE = "<html><head><title>502 Bad Gateway</title></head><body>" + "x" * 400 + "</body>"
CUT_JSON = '{"data": [{"type": "profile", "id": "01H'
MALFORMED = [
    pytest.param(PROXY_PAGE, "text/html", id="html"),
    pytest.param(CUT_JSON, "application/vnd.api+json", id="cut-json"),
]


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    with start_sandbox(API_KEY) as handle:
        yield handle


@pytest.mark.parametrize(("body", "content_type"), MALFORMED)
def test_read_back_names_the_malformed_answer_and_the_next_run_lands_everything(
    warehouse: Path, sandbox: SandboxHandle, body: str, content_type: str
) -> None:
    contacts = ["c-00", "c-01"]
    wh = make_sends_warehouse(
        warehouse, [send_row(c) for c in contacts], [profile_row(c) for c in contacts]
    )
    klaviyo = settings(sandbox.base_url)
    assert run_sends(wh, klaviyo).sent == len(contacts)
    for contact in contacts:
        sandbox.suppress(f"{contact}@example.com", "UNSUBSCRIBE")
    sandbox.inject_fault(
        200, method="GET", path="^/api/profiles", body=body, content_type=content_type
    )

    with pytest.raises(ActivationError) as failed:
        read_back_suppressions(wh, klaviyo)
    message = str(failed.value)
    assert message.startswith("suppression read-back failed: klaviyo GET /api/profiles: ")
    assert f"expected JSON, got {content_type} (HTTP 200)" in message
    assert body[:40] in message and len(message) < 400  # the body is cut to 200 characters
    assert sql(wh, "select count(*) from activation.esp_suppressions") == [(0,)]

    again = read_back_suppressions(wh, klaviyo)
    assert (again.new, again.landed_events) == (len(contacts), len(contacts))
    assert invalid_requests(sandbox) == []


@pytest.mark.parametrize(("body", "content_type"), MALFORMED)
def test_nudge_pull_prints_one_line_and_keeps_its_cursor(
    warehouse: Path,
    monkeypatch: pytest.MonkeyPatch,
    body: str,
    content_type: str,
) -> None:
    contacts = [f"c-{i:02d}" for i in range(6)]
    engagement = EngagementConfig(seed=4, open_rate=0.6, time_scale=0.0)
    with cli_sandbox(monkeypatch, engagement) as sandbox:
        make_sends_warehouse(
            warehouse, [send_row(c) for c in contacts], [profile_row(c) for c in contacts]
        )
        assert run_sends(warehouse, settings(sandbox.base_url)).sent == len(contacts)
        sandbox.inject_fault(
            200, method="GET", path="^/api/events", body=body, content_type=content_type
        )

        code, output = nudge("pull", "--warehouse", str(warehouse))
        assert code != 0
        assert f"klaviyo GET /api/events: expected JSON, got {content_type}" in output
        assert "Traceback" not in output
        assert sql(warehouse, "select count(*) from raw.events where message_id like 'esp-%'") == [
            (0,)
        ]
        assert sql(warehouse, "select count(*) from activation.engagement_pulls") == [(0,)]

        code, output = nudge("pull", "--warehouse", str(warehouse))
        assert code == 0, output
        landed = sql(warehouse, "select count(*) from raw.events where message_id like 'esp-%'")
        assert landed[0][0] >= len(contacts)  # nothing was skipped by the failed pull


@pytest.mark.parametrize(("body", "content_type"), MALFORMED)
def test_sync_rows_fail_with_the_reason_and_are_sent_next_run(
    tmp_path: Path, body: str, content_type: str
) -> None:
    warehouse = make_warehouse(tmp_path / "nudge.duckdb", braze.AUDIENCE)
    with start_braze(braze.API_KEY) as server:
        server.inject_fault(
            200,
            method="POST",
            path=braze.TRACK_PATH,
            times=None,
            body=body,
            content_type=content_type,
        )
        failed = run_sync(declaration(braze.SYNC), warehouse, braze.settings(server))
        assert (failed.status, failed.failed) == ("partial", braze.AUDIENCE)
        reasons = set(failed.errors.values())
        assert len(reasons) == 1
        (reason,) = reasons
        assert f"braze POST /users/track: expected JSON, got {content_type}" in reason

        server.clear_faults()
        retried = run_sync(declaration(braze.SYNC), warehouse, braze.settings(server))
        assert (retried.failed, retried.retried) == (0, braze.AUDIENCE)
        braze.assert_mirrored(server, warehouse)


def test_mailchimp_read_back_of_an_html_page_is_an_error_not_an_empty_result(
    tmp_path: Path,
) -> None:
    with mailchimp.start_mailchimp(mailchimp.API_KEY, audiences=(mailchimp.AUDIENCE_ID,)) as server:
        server.inject_fault(200, method="GET", path="/members$", body=PROXY_PAGE)
        destination = MailchimpDestination(
            mailchimp.settings(server), audience_id=mailchimp.AUDIENCE_ID
        )
        with pytest.raises(
            MalformedResponse, match=r"^mailchimp GET /3\.0/lists/aud0001/members: "
        ):
            list(destination.read_suppressions(datetime.now() - timedelta(days=1)))


class _Answer:
    """Just enough of a ``requests.Response`` for ``json_body``."""

    def __init__(self, text: str, content_type: str = "application/json") -> None:
        self.response = requests.Response()
        self.response.status_code = 200
        self.response._content = text.encode()
        self.response.headers["Content-Type"] = content_type
        self.response.request = requests.Request("GET", "https://esp.test/api/x?key=1").prepare()


def test_json_body_names_a_wrong_kind_and_never_shows_a_secret() -> None:
    array = _Answer("[1, 2]").response
    with pytest.raises(MalformedResponse, match="expected a JSON object, got a JSON array"):
        json_body(array, "esp")
    assert json_body(array, "esp", expect=list) == [1, 2]
    leaking = _Answer("<html>token sk-live-secret-42</html>", "text/html").response
    with pytest.raises(MalformedResponse) as failed:
        json_body(leaking, "esp", secrets=["sk-live-secret-42"])
    assert "sk-live-secret-42" not in str(failed.value) and "[REDACTED]" in str(failed.value)
    assert failed.value.retryable and failed.value.status == 200
    assert str(failed.value).startswith("esp GET /api/x: expected JSON, got text/html")
