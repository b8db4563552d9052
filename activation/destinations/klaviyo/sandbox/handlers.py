"""The Klaviyo endpoints the sandbox implements. Each handler takes the parsed request and
returns ``(status, body)``; errors are raised as ``SandboxError``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request

from . import engagement, privacy
from .errors import invalid, not_found
from .filters import parse_filter
from .ids import decode_cursor, encode_cursor
from .jobs import ImportWorker
from .resources import (
    event_resource,
    import_error_resource,
    job_resource,
    list_resource,
    metric_resource,
    profile_resource,
)
from .store import IDENTIFIERS, SUPPRESSION_TIMESTAMP, Store

MAX_BULK_PROFILES = 10_000
MAX_LIST_MEMBERS_PER_CALL = 1_000
TIME_RANGE = {"greater-than", "less-than"}  # GET /api/profiles: created, updated

Result = tuple[int, dict[str, Any] | None]


@dataclass
class Context:
    store: Store
    worker: ImportWorker
    request: Request
    body: Any
    engagement: engagement.EngagementConfig | None = None
    deletions: list[dict[str, Any]] | None = None

    @property
    def base(self) -> str:
        return self.request.host_url.rstrip("/")


Handler = Callable[..., Result]


# ------------------------------------------------------------------ helpers


def _page(ctx: Context, default: int, maximum: int) -> tuple[int, int]:
    raw_size = ctx.request.args.get("page[size]")
    try:
        size = int(raw_size) if raw_size is not None else default
    except ValueError:
        raise invalid("page[size] must be an integer.", parameter="page[size]") from None
    if not 1 <= size <= maximum:
        raise invalid(f"page[size] must be between 1 and {maximum}.", parameter="page[size]")
    cursor = ctx.request.args.get("page[cursor]")
    offset = 0
    if cursor:
        decoded = decode_cursor(cursor)
        if decoded is None:
            raise invalid("Invalid page cursor.", parameter="page[cursor]")
        offset = decoded
    return offset, size


def _links(ctx: Context, offset: int, size: int, more: bool) -> dict[str, str]:
    links = {"self": ctx.request.url}
    if more:
        args = {key: value for key, value in ctx.request.args.items() if key != "page[cursor]"}
        args["page[cursor]"] = encode_cursor(offset + size)
        links["next"] = f"{ctx.base}{ctx.request.path}?{urlencode(args)}"
    return links


def _conditions(ctx: Context, allowed: dict[str, set[str]]) -> list[tuple[str, str, Any]]:
    parsed = parse_filter(ctx.request.args.get("filter"), allowed)
    return [(c.field, c.operator, c.value) for c in parsed]


def _data(ctx: Context) -> Any:
    if not isinstance(ctx.body, dict) or "data" not in ctx.body:
        raise invalid("The request body must be a JSON:API document with 'data'.", pointer="/data")
    return ctx.body["data"]


def _profile_refs(ctx: Context) -> list[str]:
    data = _data(ctx)
    if not isinstance(data, list):
        raise invalid("'data' must be a list of profile identifiers.", pointer="/data")
    if len(data) > MAX_LIST_MEMBERS_PER_CALL:
        raise invalid(
            f"At most {MAX_LIST_MEMBERS_PER_CALL} profiles per call; got {len(data)}.",
            pointer="/data",
        )
    ids = []
    for index, item in enumerate(data):
        if not isinstance(item, dict) or item.get("type") != "profile" or not item.get("id"):
            raise invalid("Expected {type: profile, id}.", pointer=f"/data/{index}")
        ids.append(str(item["id"]))
    missing = ctx.store.missing_profiles(ids)
    if missing:
        raise invalid(f"Profile {missing[0]} does not exist.", pointer="/data")
    return ids


# ----------------------------------------------------------------- profiles


def profile_import(ctx: Context) -> Result:
    data = _data(ctx)
    profile, created = ctx.store.upsert_profile(data)
    return (201 if created else 200), {
        "data": profile_resource(profile, ctx.base),
        "links": {"self": f"{ctx.base}/api/profile-import"},
    }


def get_profiles(ctx: Context) -> Result:
    allowed = {field: {"equals", "any"} for field in ("id", *IDENTIFIERS)}
    allowed.update(created=TIME_RANGE, updated=TIME_RANGE)
    allowed[SUPPRESSION_TIMESTAMP] = {*TIME_RANGE, "greater-or-equal", "less-or-equal"}
    conditions = _conditions(ctx, allowed)
    offset, size = _page(ctx, 20, 100)
    profiles, more = ctx.store.query_profiles(conditions, offset, size)
    extra = ctx.request.args.get("additional-fields[profile]", "")
    with_subscriptions = "subscriptions" in extra.split(",")
    return 200, {
        "data": [profile_resource(p, ctx.base, subscriptions=with_subscriptions) for p in profiles],
        "links": _links(ctx, offset, size, more),
    }


# -------------------------------------------------------------- bulk import


def create_import_job(ctx: Context) -> Result:
    data = _data(ctx)
    profiles = data["attributes"]["profiles"]["data"]
    if len(profiles) > MAX_BULK_PROFILES:
        raise invalid(
            f"At most {MAX_BULK_PROFILES} profiles per job; got {len(profiles)}.",
            pointer="/data/attributes/profiles/data",
        )
    if not profiles:
        raise invalid("A job needs at least one profile.", pointer="/data/attributes/profiles/data")
    relationships = data.get("relationships") or {}
    list_ids = [item["id"] for item in relationships.get("lists", {}).get("data", [])]
    for index, list_id in enumerate(list_ids):
        if ctx.store.get_list(list_id) is None:
            raise invalid(
                f"List {list_id} does not exist.",
                pointer=f"/data/relationships/lists/data/{index}/id",
            )
    job_id = ctx.store.create_import_job(profiles, list_ids)
    ctx.worker.submit(job_id)
    job = ctx.store.get_import_job(job_id)
    assert job is not None
    resource = job_resource(job, ctx.base)
    return 202, {"data": resource, "links": resource["links"]}


def get_import_job(ctx: Context, job_id: str) -> Result:
    job = ctx.store.get_import_job(job_id)
    if job is None:
        raise not_found(f"Profile bulk import job {job_id} does not exist.")
    return 200, {"data": job_resource(job, ctx.base)}


def get_import_errors(ctx: Context, id: str) -> Result:
    if ctx.store.get_import_job(id) is None:
        raise not_found(f"Profile bulk import job {id} does not exist.")
    offset, size = _page(ctx, 20, 100)
    errors, more = ctx.store.import_errors(id, offset, size)
    return 200, {
        "data": [import_error_resource(error) for error in errors],
        "links": _links(ctx, offset, size, more),
    }


# -------------------------------------------------------------------- lists


def get_lists(ctx: Context) -> Result:
    allowed = {"name": {"any", "equals"}, "id": {"any", "equals"}}
    conditions = _conditions(ctx, allowed)
    offset, size = _page(ctx, 10, 10)
    lists, more = ctx.store.query_lists(conditions, offset, size)
    return 200, {
        "data": [list_resource(found, ctx.base) for found in lists],
        "links": _links(ctx, offset, size, more),
    }


def create_list(ctx: Context) -> Result:
    attributes = _data(ctx)["attributes"]
    name = str(attributes["name"]).strip()
    if not name:
        raise invalid("A list needs a name.", pointer="/data/attributes/name")
    created = ctx.store.create_list(name, attributes.get("opt_in_process"))
    resource = list_resource(created, ctx.base)
    return 201, {"data": resource, "links": resource["links"]}


def list_profiles(ctx: Context, id: str) -> Result:
    ctx.store.require_list(id)
    method = ctx.request.method
    if method == "GET":
        allowed = {"email": {"any", "equals"}, "phone_number": {"any", "equals"}}
        conditions = _conditions(ctx, allowed)
        offset, size = _page(ctx, 20, 100)
        ids, more = ctx.store.list_member_ids(id, conditions, offset, size)
        return 200, {
            "data": [{"type": "profile", "id": profile_id} for profile_id in ids],
            "links": _links(ctx, offset, size, more),
        }
    profile_ids = _profile_refs(ctx)
    if method == "POST":
        ctx.store.add_members(id, profile_ids)
    else:
        ctx.store.remove_members(id, profile_ids)
    return 204, None


# ------------------------------------------------------------------- events


EVENT_PROPERTIES = 400  # the spec: "must not exceed 400 properties"
EVENT_STRING_BYTES = 100 * 1024  # the spec: "each string cannot be larger than 100 KB"


def _check_event_limits(properties: Any) -> None:
    pointer = "/data/attributes/properties"
    if isinstance(properties, dict) and len(properties) > EVENT_PROPERTIES:
        raise invalid(
            f"An event cannot have more than {EVENT_PROPERTIES} properties.", pointer=pointer
        )
    for text in _strings(properties):
        if len(text.encode()) > EVENT_STRING_BYTES:
            raise invalid("A string in the event is larger than 100 KB.", pointer=pointer)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [text for item in items for text in _strings(item)]


def create_event(ctx: Context) -> Result:
    attributes = _data(ctx)["attributes"]
    _check_event_limits(attributes.get("properties"))
    profile_data = attributes["profile"]["data"]
    profile_attributes = dict(profile_data.get("attributes") or {})
    profile_attributes.pop("anonymous_id", None)
    profile_attributes.pop("meta", None)
    resource = {"type": "profile", "id": profile_data.get("id"), "attributes": profile_attributes}
    if not (resource["id"] or any(profile_attributes.get(key) for key in IDENTIFIERS)):
        raise invalid(
            "The event's profile needs an id, email, phone_number or external_id.",
            pointer="/data/attributes/profile/data/attributes",
        )
    profile, _ = ctx.store.upsert_profile(resource, pointer="/data/attributes/profile/data")
    metric_name = attributes["metric"]["data"]["attributes"]["name"]
    recorded = ctx.store.record_event(
        metric_name=metric_name,
        profile_id=profile["id"],
        properties=attributes.get("properties") or {},
        time=attributes.get("time"),
        value=attributes.get("value"),
        value_currency=attributes.get("value_currency"),
        unique_id=attributes.get("unique_id"),
    )
    if recorded:
        send = engagement.send_from_request(profile, attributes, metric_name)
        engagement.simulate(ctx.store, ctx.engagement, send)
    return 202, None


def get_events(ctx: Context) -> Result:
    allowed = {
        "metric_id": {"equals"},
        "profile_id": {"equals"},
        "datetime": {"greater-or-equal", "greater-than", "less-or-equal", "less-than"},
    }
    conditions = _conditions(ctx, allowed)
    offset, size = _page(ctx, 200, 1000)
    sort = ctx.request.args.get("sort")
    events, more = ctx.store.query_events(conditions, offset, size, sort=sort)
    document: dict[str, Any] = {
        "data": [event_resource(event, ctx.base) for event in events],
        "links": _links(ctx, offset, size, more),
    }
    include = set(filter(None, ctx.request.args.get("include", "").split(",")))
    if include:
        document["included"] = _event_includes(ctx, events, include)
    return 200, document


def _event_includes(
    ctx: Context, events: list[dict[str, Any]], include: set[str]
) -> list[dict[str, Any]]:
    included: list[dict[str, Any]] = []
    if "metric" in include:
        wanted = {event["metric_id"] for event in events}
        metrics = [m for m in ctx.store.metrics() if m["id"] in wanted]
        included += [metric_resource(metric, ctx.base) for metric in metrics]
    if "profile" in include:
        for profile_id in dict.fromkeys(event["profile_id"] for event in events):
            profile = ctx.store.get_profile(profile_id)
            if profile is not None:
                included.append(profile_resource(profile, ctx.base))
    return included


def get_metrics(ctx: Context) -> Result:
    return 200, {
        "data": [metric_resource(metric, ctx.base) for metric in ctx.store.metrics()],
        "links": {"self": ctx.request.url},
    }


# ------------------------------------------------------------- data privacy


def request_profile_deletion(ctx: Context) -> Result:
    """Delete the profile (by id, email or phone number) with its list memberships and
    events, as Klaviyo's data-privacy deletion job does; 202 even when none matches."""
    profile = _data(ctx)["attributes"]["profile"]["data"]
    deleted = privacy.delete_profile(ctx.store, profile.get("id"), profile.get("attributes") or {})
    if ctx.deletions is not None:
        ctx.deletions.append({"requested": profile, "deleted_profile_id": deleted})
    return 202, None
