"""Segments as Klaviyo lists (issue 16, item 1), without the generator or dbt: small DuckDB
tables shaped like ``syncs.sync_segment_audiences`` / ``sync_segment_profiles`` and
``segments.segment_memberships``, the real declarations from
``models/marts/syncs/_syncs__exposures.yml``, and the sandbox over HTTP."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from activation.declarations import SyncDeclaration, load_declarations
from activation.destinations.braze.sandbox import BrazeApp, start_braze
from activation.destinations.braze.settings import braze_settings
from activation.destinations.customerio.sandbox import CustomerioApp, start_customerio
from activation.destinations.customerio.settings import customerio_settings
from activation.destinations.klaviyo.sandbox import SandboxHandle, start_sandbox
from activation.destinations.klaviyo.settings import klaviyo_settings
from activation.destinations.mailchimp.sandbox import MailchimpApp, start_mailchimp
from activation.destinations.mailchimp.settings import mailchimp_settings
from activation.errors import DeclarationError
from activation.runs import choose_syncs
from activation.settings import DestinationSettings, RetryPolicy
from activation.sync import run_sync
from nudge.paths import PROJECT_ROOT
from tests.stamps import stamp_live

API_KEY = "pk_segment_lists_3b8e"
EXPOSURES = PROJECT_ROOT / "models" / "marts" / "syncs" / "_syncs__exposures.yml"
AUDIENCES = "syncs.sync_segment_audiences"
PROFILES = "syncs.sync_segment_profiles"
MEMBERSHIPS = "segments.segment_memberships"
MODELS = {
    "klaviyo_segments": "sync_segment_audiences",
    "klaviyo_segment_profiles": "sync_segment_profiles",
    "klaviyo_segment_events": "sync_segment_events",
}
CUSTOMERIO_SEGMENT_IDS = {
    "high_value": 11,
    "rfm_at_risk": 12,
    "lapsed_customers": 13,
    "new_customers": 14,
    "cart_abandoners": 15,
}
SEGMENT_MODELS = ("high_value", "lapsed_customers", "new_customers", "cart_abandoners")


def exposure_meta(name: str) -> dict[str, Any]:
    document = yaml.safe_load(EXPOSURES.read_text(encoding="utf-8"))
    (exposure,) = [e for e in document["exposures"] if e["name"] == name]
    return copy.deepcopy(exposure["config"]["meta"]["nudge_sync"])


def manifest(**syncs: dict[str, Any]) -> dict[str, Any]:
    """A dbt manifest as ``load_declarations`` reads it: the exposures, their models, the
    single-segment models (tagged segment) and segment_memberships."""
    nodes: dict[str, Any] = {
        f"model.nudge.{model}": {
            "name": model,
            "relation_name": f'"nudge"."syncs"."{model}"',
            "config": {"tags": []},
        }
        for model in MODELS.values()
    }
    for key in SEGMENT_MODELS:
        nodes[f"model.nudge.segment_{key}"] = {
            "name": f"segment_{key}",
            "relation_name": f'"nudge"."segments"."segment_{key}"',
            "config": {"tags": ["segment"]},
            "columns": {"contact_id": {}},
        }
    nodes["model.nudge.segment_rfm"] = {
        "name": "segment_rfm",
        "relation_name": '"nudge"."segments"."segment_rfm"',
        "config": {"tags": ["segment"]},
        "columns": {"segment_key": {}, "contact_id": {}},
    }
    nodes["model.nudge.segment_memberships"] = {
        "name": "segment_memberships",
        "relation_name": '"nudge"."segments"."segment_memberships"',
        "config": {"tags": []},
    }
    exposures = {
        f"exposure.nudge.{name}": {
            "name": name,
            "resource_type": "exposure",
            "config": {"enabled": True, "meta": {"nudge_sync": sync}},
            "depends_on": {"nodes": [f"model.nudge.{MODELS[name]}"]},
        }
        for name, sync in syncs.items()
    }
    return {"exposures": exposures, "nodes": nodes}


def segment_lists(**changes: Any) -> list[SyncDeclaration]:
    sync = exposure_meta("klaviyo_segments")
    sync.update(changes)
    return load_declarations(manifest(klaviyo_segments=sync))


def sql(path: Path, statement: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path)) as con:
        return con.execute(statement, params or []).fetchall()


# 12 contacts; segments overlap; c-11 is a member who may not be emailed (not a subscriber)
MEMBERS = {
    "high_value": ["c-00", "c-01", "c-02"],
    "rfm_at_risk": ["c-02", "c-03", "c-04", "c-05", "c-11"],
    "lapsed_customers": ["c-06", "c-07"],
    "new_customers": ["c-08", "c-09", "c-10"],
    "cart_abandoners": ["c-00", "c-09"],
    "subscribers": [f"c-{i:02d}" for i in range(11)],
}


def email(contact_id: str) -> str:
    return f"{contact_id}@example.com"


def make_warehouse(path: Path) -> Path:
    """segment_memberships and the two sync tables as the models would build them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    members = [(key, contact) for key, contacts in MEMBERS.items() for contact in contacts]
    with duckdb.connect(str(path)) as con:
        con.execute("create schema segments")
        con.execute("create schema syncs")
        con.execute(f"create table {MEMBERSHIPS} (segment_key varchar, contact_id varchar)")
        con.execute(
            f"create table {AUDIENCES} (segment_key varchar, contact_id varchar, email varchar)"
        )
        con.execute(
            f"create table {PROFILES} (contact_id varchar, email varchar, nudge_segments varchar)"
        )
        con.executemany(f"insert into {MEMBERSHIPS} values (?, ?)", members)
        con.executemany(
            f"insert into {AUDIENCES} values (?, ?, ?)",
            [(key, contact, email(contact)) for key, contact in members if contact != "c-11"],
        )
    rebuild_profiles(path)
    stamp_live(path, AUDIENCES)
    stamp_live(path, PROFILES)
    return path


def join(path: Path, segment_key: str, contact_id: str) -> None:
    sql(path, f"insert into {MEMBERSHIPS} values (?, ?)", [segment_key, contact_id])
    sql(
        path,
        f"insert into {AUDIENCES} values (?, ?, ?)",
        [segment_key, contact_id, email(contact_id)],
    )


def leave(path: Path, segment_key: str, contact_id: str) -> None:
    for table in (MEMBERSHIPS, AUDIENCES):
        sql(
            path,
            f"delete from {table} where segment_key = ? and contact_id = ?",
            [segment_key, contact_id],
        )


def rebuild_profiles(path: Path) -> None:
    """sync_segment_profiles' logic on the hand-made memberships (subscribers only)."""
    sql(path, f"delete from {PROFILES}")
    sql(
        path,
        f"insert into {PROFILES} select s.contact_id, s.contact_id || '@example.com',"
        " coalesce((select '[' || string_agg('\"' || m.segment_key || '\"', ',' order by"
        f" m.segment_key) || ']' from {MEMBERSHIPS} m where m.contact_id = s.contact_id), '[]')"
        f" from {MEMBERSHIPS} s where s.segment_key = 'subscribers'",
    )


def subscribed_members(path: Path) -> dict[str, set[str]]:
    """segment_memberships per segment, of the members who are subscribers."""
    rows = sql(
        path,
        f"select m.segment_key, m.contact_id from {MEMBERSHIPS} m join {MEMBERSHIPS} s"
        " on s.contact_id = m.contact_id and s.segment_key = 'subscribers'",
    )
    members: dict[str, set[str]] = {}
    for key, contact in rows:
        members.setdefault(key, set()).add(email(contact))
    return members


def list_members(sandbox: SandboxHandle, name: str) -> set[str]:
    return {member["email"] for member in sandbox.list_members(name)}


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    handle = start_sandbox(API_KEY)
    yield handle
    handle.stop()
    assert [e for e in handle.requests() if e["validation"] == "failed"] == []


@pytest.fixture
def settings(sandbox: SandboxHandle) -> DestinationSettings:
    env = {"KLAVIYO_BASE_URL": sandbox.base_url, "KLAVIYO_API_KEY": API_KEY}
    retry = RetryPolicy(backoff_base=0.01, backoff_max=0.05)
    return klaviyo_settings(env, retry=retry, job_poll_interval=0.01)


# ------------------------------------------------------------------ declarations


def test_one_line_declares_one_list_sync_per_segment() -> None:
    declarations = segment_lists()
    keys = exposure_meta("klaviyo_segments")["segments"]
    assert [d.name for d in declarations] == sorted(f"klaviyo_segments__{k}" for k in keys)
    by_key = {d.segment_key: d for d in declarations}
    assert by_key["rfm_at_risk"].config.list_name == "Nudge — rfm_at_risk"
    assert {d.exposure_name for d in declarations} == {"klaviyo_segments"}
    assert set(by_key["high_value"].segment_sources.model_keys) == set(SEGMENT_MODELS)  # type: ignore[union-attr]


def test_nudge_sync_by_exposure_name_runs_each_of_its_segment_syncs() -> None:
    declarations = segment_lists()
    assert choose_syncs(declarations, "klaviyo_segments") == declarations
    (one,) = choose_syncs(declarations, "klaviyo_segments__high_value")
    assert one.segment_key == "high_value"
    with pytest.raises(DeclarationError, match="no sync named 'klaviyo_segment'"):
        choose_syncs(declarations, "klaviyo_segment")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"list_name": "Nudge — Segments"}, "list_name must contain {segment}"),
        ({"segments": []}, "segments must list at least one segment key"),
        ({"segments": ["high_value", "high_value"]}, "lists high_value more than once"),
        ({"segments": ["High Value"]}, "segment keys are lowercase"),
        ({"object": "profiles", "mode": "upsert"}, "segments applies to object list_members"),
        (
            {"destination": "customerio", "external_id": {"column": "contact_id"}},
            "customerio.segment_ids needs the id of a manual segment made in Customer.io for "
            "high_value, rfm_at_risk, lapsed_customers, new_customers, cart_abandoners",
        ),
        (
            {
                "destination": "customerio",
                "external_id": {"column": "contact_id"},
                "customerio": {"segment_ids": {"high_value": 3, "rfm_at_risk": 4}},
            },
            "segment_ids needs the id of a manual segment made in Customer.io for "
            "lapsed_customers, new_customers, cart_abandoners",
        ),
        (
            {
                "destination": "customerio",
                "external_id": {"column": "contact_id"},
                "customerio": {"segment_id": 3},
            },
            "customerio.segment_id names one manual segment, but segments lists 5",
        ),
        (
            {
                "destination": "customerio",
                "external_id": {"column": "contact_id"},
                "customerio": {"segment_ids": {**CUSTOMERIO_SEGMENT_IDS, "vip": 9}},
            },
            "customerio.segment_ids has vip, which segments does not list",
        ),
    ],
)
def test_bad_segment_declarations_say_what_to_fix(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(DeclarationError) as raised:
        segment_lists(**changes)
    assert message in str(raised.value)
    assert "exposure klaviyo_segments: meta.nudge_sync" in str(raised.value)


def test_events_need_a_destination_that_deduplicates() -> None:
    sync = exposure_meta("klaviyo_segment_events")
    sync.update(destination="mailchimp", mailchimp={"audience_id": "a1"}, fields={})
    with pytest.raises(DeclarationError, match="cannot de-duplicate events"):
        load_declarations(manifest(klaviyo_segment_events=sync))


def test_an_unknown_segment_key_is_named_with_the_valid_ones(
    tmp_path: Path, settings: DestinationSettings, sandbox: SandboxHandle
) -> None:
    path = make_warehouse(tmp_path / "nudge.duckdb")
    (declaration,) = segment_lists(segments=["vip"])
    with pytest.raises(DeclarationError) as raised:
        run_sync(declaration, path, settings)
    message = str(raised.value)
    assert "meta.nudge_sync.segments names 'vip', which is no segment" in message
    # single-segment models (even without members) and every key memberships hold
    for valid in ("cart_abandoners", "high_value", "rfm_at_risk", "subscribers"):
        assert valid in message
    assert [r for r in sandbox.requests() if r["method"] != "GET"] == []


# ---------------------------------------------------------------------- mirroring


def sync_all(path: Path, settings: DestinationSettings) -> dict[str, Any]:
    return {str(d.segment_key): run_sync(d, path, settings) for d in segment_lists()}


def test_lists_mirror_segment_memberships(
    tmp_path: Path, settings: DestinationSettings, sandbox: SandboxHandle
) -> None:
    path = make_warehouse(tmp_path / "nudge.duckdb")
    keys = exposure_meta("klaviyo_segments")["segments"]
    first = sync_all(path, settings)
    expected = subscribed_members(path)
    for key in keys:
        assert list_members(sandbox, f"Nudge — {key}") == expected[key], key
        assert (first[key].status, first[key].added) == ("success", len(expected[key]))
    assert "c-11@example.com" not in list_members(sandbox, "Nudge — rfm_at_risk")

    # c-02 leaves rfm_at_risk (stays in high_value), c-05 joins lapsed_customers
    leave(path, "rfm_at_risk", "c-02")
    join(path, "lapsed_customers", "c-05")
    second = sync_all(path, settings)
    expected = subscribed_members(path)
    for key in keys:
        assert list_members(sandbox, f"Nudge — {key}") == expected[key], key
    assert "c-02@example.com" not in list_members(sandbox, "Nudge — rfm_at_risk")
    assert "c-02@example.com" in list_members(sandbox, "Nudge — high_value")
    assert (second["rfm_at_risk"].removed, second["rfm_at_risk"].added) == (1, 0)
    assert (second["lapsed_customers"].added, second["lapsed_customers"].removed) == (1, 0)
    assert {
        k: r.added + r.removed
        for k, r in second.items()
        if k not in ("rfm_at_risk", "lapsed_customers")
    } == dict.fromkeys(("high_value", "new_customers", "cart_abandoners"), 0)

    sandbox.clear_requests()
    third = sync_all(path, settings)
    assert {r.added + r.changed + r.removed for r in third.values()} == {0}
    assert [r for r in sandbox.requests() if r["method"] != "GET"] == []


def test_nudge_segments_is_a_list_property_of_every_subscriber(
    tmp_path: Path, settings: DestinationSettings, sandbox: SandboxHandle
) -> None:
    path = make_warehouse(tmp_path / "nudge.duckdb")
    (declaration,) = load_declarations(
        manifest(klaviyo_segment_profiles=exposure_meta("klaviyo_segment_profiles"))
    )
    result = run_sync(declaration, path, settings)
    assert (result.status, result.added) == ("success", 11)
    profile = sandbox.profile(email("c-02"))
    assert profile is not None
    assert profile["properties"]["nudge_segments"] == ["high_value", "rfm_at_risk", "subscribers"]

    leave(path, "rfm_at_risk", "c-02")
    rebuild_profiles(path)
    again = run_sync(declaration, path, settings)
    assert (again.changed, again.added) == (1, 0)
    profile = sandbox.profile(email("c-02"))
    assert profile is not None
    assert profile["properties"]["nudge_segments"] == ["high_value", "subscribers"]


def test_a_row_whose_list_column_is_not_a_json_array_fails_alone(
    tmp_path: Path, settings: DestinationSettings
) -> None:
    path = make_warehouse(tmp_path / "nudge.duckdb")
    sql(path, f"update {PROFILES} set nudge_segments = 'high_value' where contact_id = 'c-03'")
    (declaration,) = load_declarations(
        manifest(klaviyo_segment_profiles=exposure_meta("klaviyo_segment_profiles"))
    )
    result = run_sync(declaration, path, settings)
    assert (result.status, result.failed, result.added) == ("partial", 1, 10)
    (reason,) = result.errors.values()
    assert "fields.lists.nudge_segments: the column must hold a JSON array" in reason


def test_the_same_line_keeps_braze_membership_arrays(tmp_path: Path) -> None:
    """Braze: each segment's list name in the users' nudge_lists array, added and removed."""
    path = make_warehouse(tmp_path / "nudge.duckdb")
    with start_braze(API_KEY) as server:
        app = server.app
        assert isinstance(app, BrazeApp)
        env = {"BRAZE_BASE_URL": server.base_url, "BRAZE_API_KEY": API_KEY}
        braze = braze_settings(env, retry=RetryPolicy(backoff_base=0.01, backoff_max=0.05))
        declarations = segment_lists(destination="braze")

        braze_app: BrazeApp = app

        def mirrored() -> None:
            expected = subscribed_members(path)
            for declaration in declarations:
                key = str(declaration.segment_key)
                in_list = braze_app.members(f"Nudge — {key}")
                assert {email(c) for c in in_list} == expected.get(key, set()), key

        for declaration in declarations:
            assert run_sync(declaration, path, braze).status == "success"
        mirrored()
        leave(path, "rfm_at_risk", "c-03")
        for declaration in declarations:
            run_sync(declaration, path, braze)
        mirrored()
        assert "c-03" not in braze_app.members("Nudge — rfm_at_risk")


def test_the_same_line_keeps_customerio_manual_segments(tmp_path: Path) -> None:
    """Customer.io: each key's manual segment (customerio.segment_ids), customers added and
    removed by id."""
    path = make_warehouse(tmp_path / "nudge.duckdb")
    site = "site-segments"
    ids = tuple(CUSTOMERIO_SEGMENT_IDS.values())
    with start_customerio(site, API_KEY, segments=ids) as server:
        app = server.app
        assert isinstance(app, CustomerioApp)
        customerio_app: CustomerioApp = app
        env = {
            "CUSTOMERIO_SITE_ID": site,
            "CUSTOMERIO_API_KEY": API_KEY,
            "CUSTOMERIO_TRACK_URL": server.base_url,
        }
        customerio = customerio_settings(env, retry=RetryPolicy(backoff_base=0.01))
        declarations = segment_lists(
            destination="customerio",
            external_id={"column": "contact_id"},
            customerio={"segment_ids": CUSTOMERIO_SEGMENT_IDS},
        )

        def mirrored() -> None:
            expected = subscribed_members(path)
            for declaration in declarations:
                key = str(declaration.segment_key)
                members = customerio_app.segments[CUSTOMERIO_SEGMENT_IDS[key]]
                assert {email(c) for c in members} == expected.get(key, set()), key

        for declaration in declarations:
            assert run_sync(declaration, path, customerio).status == "success"
        mirrored()
        leave(path, "cart_abandoners", "c-04")
        for declaration in declarations:
            run_sync(declaration, path, customerio)
        mirrored()
        assert "c-04" not in customerio_app.segments[CUSTOMERIO_SEGMENT_IDS["cart_abandoners"]]


def test_segment_ids_belong_with_segments() -> None:
    sync = exposure_meta("klaviyo_segments")
    del sync["segments"]
    sync.update(
        destination="customerio",
        external_id={"column": "contact_id"},
        list_name="Nudge — Subscribers",
        customerio={"segment_ids": {"high_value": 3}},
    )
    with pytest.raises(DeclarationError, match="segment_ids applies only with segments"):
        load_declarations(manifest(klaviyo_segments=sync))


def test_the_same_line_keeps_mailchimp_static_segments(tmp_path: Path) -> None:
    """Mailchimp: one static segment per segment key, members added and removed."""
    path = make_warehouse(tmp_path / "nudge.duckdb")
    audience = "aud0segments"
    with start_mailchimp(API_KEY, audiences=(audience,)) as server:
        app = server.app
        assert isinstance(app, MailchimpApp)
        mailchimp_app: MailchimpApp = app
        env = {"MAILCHIMP_API_KEY": API_KEY, "MAILCHIMP_BASE_URL": f"{server.base_url}/3.0"}
        mailchimp = mailchimp_settings(env, retry=RetryPolicy(backoff_base=0.01))
        declarations = segment_lists(destination="mailchimp", mailchimp={"audience_id": audience})

        def mirrored() -> None:
            expected = subscribed_members(path)
            for declaration in declarations:
                key = str(declaration.segment_key)
                in_segment = mailchimp_app.segment_emails(audience, f"Nudge — {key}")
                assert in_segment == expected.get(key, set()), key

        for declaration in declarations:
            assert run_sync(declaration, path, mailchimp).status == "success"
        mirrored()
        leave(path, "new_customers", "c-09")
        for declaration in declarations:
            run_sync(declaration, path, mailchimp)
        mirrored()
        assert email("c-09") not in mailchimp_app.segment_emails(audience, "Nudge — new_customers")
