"""The engine follows each destination's declared capabilities (activation/destinations/
spec.py), not its client's duck-typed methods: a destination whose spec claims no
suppressions or preferences is not asked for them (the read-back says why, and the send gate
still applies the warehouse's own suppressions), and a list_members sync to one that claims
no membership is refused when declared. Each test flips one capability of a copy of a real
spec, patched into the registry, and shows the behaviour flip with it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import requests
from rich.console import Console

from activation.declarations import load_declarations
from activation.destinations import registry
from activation.destinations.klaviyo.sandbox import SandboxHandle, start_sandbox
from activation.destinations.spec import DestinationSpec
from activation.errors import ActivationError, DeclarationError
from activation.runs import ReadBack, read_back, send_due
from activation.state import utcnow
from nudge.sends_command import print_read_back
from orchestration.assets.esp import read_back_metadata
from tests.sends_helpers import (
    API_KEY,
    add_sends,
    email,
    ledger,
    make_warehouse,
    profile_row,
    send_row,
    settings,
    sql,
)

CONTACTS = ("c-00", "c-01", "c-02")


def flip(
    monkeypatch: pytest.MonkeyPatch, name: str, capability: str, value: bool, **spec: Any
) -> DestinationSpec:
    """The registry with ``name``'s spec copied, ``capability`` set to ``value`` (and the
    spec fields in ``spec`` changed)."""
    original = registry.SPECS_BY_NAME[name]
    capabilities = replace(original.capabilities, **{capability: value})
    flipped = replace(original, capabilities=capabilities, **spec)
    specs = tuple(flipped if s.name == name else s for s in registry.SPECS)
    monkeypatch.setattr(registry, "SPECS", specs)
    monkeypatch.setattr(registry, "SPECS_BY_NAME", MappingProxyType({s.name: s for s in specs}))
    return flipped


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    with start_sandbox(API_KEY) as handle:
        yield handle


def requested_filters(sandbox: SandboxHandle) -> list[str]:
    return [f for r in sandbox.requests() for f in r["args"].get("filter", [])]


def unsubscribed_after_the_build(wh: Path, contact_id: str) -> None:
    """A raw Unsubscribed event that landed after the triggered_sends build."""
    now = utcnow()
    sql(
        wh,
        "insert into raw.events (message_id, event, user_id, timestamp, received_at,"
        " properties, context) values (?, 'Unsubscribed', ?, ?, ?, ?, ?)",
        [f"unsub-{contact_id}", contact_id, now, now, '{"channel": "email"}', "{}"],
    )


def set_klaviyo_properties(sandbox: SandboxHandle, contact_id: str, **properties: Any) -> None:
    """A profile as Klaviyo's preference page leaves it."""
    attributes = {"email": email(contact_id), "external_id": contact_id, "properties": properties}
    requests.post(
        f"{sandbox.base_url}/api/profile-import",
        headers={
            "Authorization": f"Klaviyo-API-Key {API_KEY}",
            "revision": "2026-07-15",
            "Content-Type": "application/vnd.api+json",
        },
        data=json.dumps({"data": {"type": "profile", "attributes": attributes}}),
        timeout=10,
    ).raise_for_status()


# ------------------------------------------------------------------------- suppressions


@pytest.mark.parametrize("suppressions", [True, False])
def test_suppressions_are_read_back_only_where_the_spec_claims_them(
    warehouse: Path, sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch, suppressions: bool
) -> None:
    why = "land its unsubscribes in raw.events instead"
    flip(monkeypatch, "klaviyo", "suppressions", suppressions, no_suppressions=why)
    wh = make_warehouse(warehouse, [], [profile_row(c) for c in CONTACTS])
    klaviyo = settings(sandbox.base_url)
    set_klaviyo_properties(sandbox, "c-01")
    sandbox.suppress(email("c-01"), "UNSUBSCRIBE")  # made in the ESP
    unsubscribed_after_the_build(wh, "c-02")  # the warehouse's own, since the build
    add_sends(wh, [send_row(c) for c in CONTACTS])
    sandbox.clear_requests()

    due = send_due(wh, klaviyo)

    assert due.read_back is not None
    asked = any("suppression" in f for f in requested_filters(sandbox))
    statuses = {c: ledger(wh)[send_row(c)["send_key"]][:2] for c in CONTACTS}
    assert statuses["c-00"] == ("sent", None)
    assert statuses["c-02"] == ("skipped", "unsubscribed_after_build")  # the gate, either way
    if suppressions:
        assert asked and due.read_back.no_suppressions is None
        assert due.read_back.suppressions is not None and due.read_back.suppressions.new == 1
        assert statuses["c-01"] == ("skipped", "esp_unsubscribed")
    else:
        assert not asked
        assert (due.read_back.suppressions, due.read_back.no_suppressions) == (None, why)
        assert statuses["c-01"] == ("sent", None)  # nothing read back from the ESP


def test_a_failed_suppression_read_back_still_stops_the_sends(
    warehouse: Path, sandbox: SandboxHandle
) -> None:
    wh = make_warehouse(
        warehouse, [send_row(c) for c in CONTACTS], [profile_row(c) for c in CONTACTS]
    )
    sandbox.inject_fault(500, method="GET", path="/api/profiles", times=None)

    with pytest.raises(ActivationError, match="suppression read-back failed"):
        send_due(wh, settings(sandbox.base_url, max_attempts=1))

    assert ledger(wh) == {}
    assert [r for r in sandbox.requests() if r["path"] == "/api/events"] == []


# -------------------------------------------------------------------------- preferences


@pytest.mark.parametrize("preferences", [True, False])
def test_preferences_are_read_back_only_where_the_spec_claims_them(
    warehouse: Path, sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch, preferences: bool
) -> None:
    why = "send your preference page's choices to raw.events instead"
    flip(monkeypatch, "klaviyo", "preferences", preferences, no_preferences=why)
    sends = [send_row(c, trigger_key="winback", topic="offers") for c in CONTACTS]
    wh = make_warehouse(warehouse, sends, [profile_row(c) for c in CONTACTS])
    set_klaviyo_properties(sandbox, "c-01", nudge_unsubscribed_topics=["offers"])
    sandbox.clear_requests()

    due = send_due(wh, settings(sandbox.base_url))

    assert due.read_back is not None
    asked = any("updated" in f for f in requested_filters(sandbox))
    statuses = {c: ledger(wh)[send_row(c, trigger_key="winback")["send_key"]][:2] for c in CONTACTS}
    assert statuses["c-00"] == statuses["c-02"] == ("sent", None)
    if preferences:
        assert asked and due.read_back.no_preferences is None
        assert due.read_back.preferences is not None
        assert due.read_back.preferences.landed_events == 1
        assert statuses["c-01"] == ("skipped", "topic_opted_out_after_build")
    else:
        assert not asked
        assert (due.read_back.preferences, due.read_back.no_preferences) == (None, why)
        assert statuses["c-01"] == ("sent", None)
    assert due.read_back.suppressions is not None  # the other capability is untouched


# ------------------------------------------------------------------- the reasons given


@pytest.mark.parametrize("spec", registry.SPECS, ids=lambda spec: spec.name)
def test_each_destination_without_a_read_back_says_why(
    spec: DestinationSpec, warehouse: Path
) -> None:
    capabilities = spec.capabilities
    assert (spec.no_suppressions is None) == capabilities.suppressions
    assert (spec.no_preferences is None) == capabilities.preferences
    if capabilities.suppressions or capabilities.preferences:
        return  # reading back needs a warehouse: the tests above
    landed = read_back(warehouse, spec.settings_from_env(dict(spec.example_env)))
    assert landed == ReadBack(None, None, spec.no_suppressions, spec.no_preferences)
    assert not warehouse.exists()  # nothing was asked, not even the warehouse


def test_the_reasons_are_printed_and_recorded() -> None:
    landed = ReadBack(None, None, "connect the webhooks", "send the choices")
    console = Console(record=True, width=200)

    print_read_back(console, "somewhere", landed)

    printed = console.export_text()
    assert "No suppressions read back from somewhere: connect the webhooks" in printed
    assert "No preference changes read back from somewhere: send the choices" in printed
    assert read_back_metadata(landed) == {
        "suppressions": "connect the webhooks",
        "preferences": "send the choices",
    }
    assert landed.summary() == (
        "no suppressions read back (connect the webhooks), "
        "no preferences read back (send the choices)"
    )


# ----------------------------------------------------------------------- membership


def manifest(sync: dict[str, Any]) -> dict[str, Any]:
    model = "model.nudge.sync_members"
    return {
        "exposures": {
            "exposure.nudge.members": {
                "name": "members",
                "resource_type": "exposure",
                "config": {"enabled": True, "meta": {"nudge_sync": sync}},
                "depends_on": {"nodes": [model]},
            }
        },
        "nodes": {model: {"relation_name": '"nudge"."syncs"."sync_members"'}},
    }


LIST_SYNC = {
    "destination": "klaviyo",
    "object": "list_members",
    "mode": "mirror",
    "list_name": "Members",
    "identifier": {"column": "email"},
}
SEGMENT_LISTS = {**LIST_SYNC, "list_name": "Members {segment}", "segments": ["high_value"]}


@pytest.mark.parametrize("sync", [LIST_SYNC, SEGMENT_LISTS], ids=["list", "segments"])
def test_list_members_go_only_where_the_spec_claims_membership(
    monkeypatch: pytest.MonkeyPatch, sync: dict[str, Any]
) -> None:
    (declared,) = load_declarations(manifest(LIST_SYNC))
    assert declared.config.destination == "klaviyo"  # accepted while klaviyo keeps members

    flip(monkeypatch, "klaviyo", "membership", False)
    with pytest.raises(DeclarationError) as refused:
        load_declarations(manifest(sync))

    others = [s.name for s in registry.SPECS if s.name != "klaviyo"]
    (problem,) = [p for p in refused.value.problems if ".object" in p]
    assert problem.startswith("exposure members: meta.nudge_sync.object 'list_members'")
    assert problem.endswith(f"object 'list_members' goes to {', '.join(others)}")
    assert "'klaviyo' cannot" in problem


def test_profiles_and_events_need_no_membership(monkeypatch: pytest.MonkeyPatch) -> None:
    flip(monkeypatch, "klaviyo", "membership", False)
    profiles = {**LIST_SYNC, "object": "profiles", "mode": "upsert", "list_name": None}
    (declared,) = load_declarations(manifest(profiles))
    assert declared.config.object == "profiles"
