"""A large mirror sync under injected faults (429 with Retry-After, 5xx, hung requests past
the client's timeout, dropped connections: about 20% of all requests) against the Klaviyo
sandbox with scaled-down per-endpoint rate limits. It must end with the sandbox exactly
equal to the warehouse audience (list members and every profile field), with no request to
an endpoint sent before a Retry-After it answered had expired, and without ever tripping
the sandbox's own rate limiter (the client's limiter keeps under the declared limits).

The audience table is generated in DuckDB SQL (no dbt). The test syncs 20,000 profiles in
1,000-profile bulk import jobs (enough requests for a fifth of them to fail in every way);
the 100,000-profile run in 10,000-profile jobs takes longer and is a benchmark
(BENCHMARKS.md):

    .venv/bin/python -m tests.test_sync_under_faults --rows 100000 --batch-size 10000
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from activation.declarations import SyncDeclaration, load_declarations
from activation.destinations.klaviyo.client import RATE_LIMITS, KlaviyoDestination
from activation.destinations.klaviyo.sandbox import RateLimitConfig, SandboxHandle, start_sandbox
from activation.destinations.klaviyo.sandbox.ratelimits import operation_for
from activation.destinations.klaviyo.settings import klaviyo_settings
from activation.ratelimit import EndpointLimit, RateLimiter, Window, WindowLimiter
from activation.settings import DestinationSettings, RetryPolicy
from activation.state import RUNS_TABLE, STATE_TABLE
from activation.sync import SyncRunResult, run_sync
from nudge.paths import PROJECT_ROOT
from tests.stamps import stamp_live

API_KEY = "pk_fault_test_5b1d"
EXPOSURES = PROJECT_ROOT / "models" / "marts" / "syncs" / "_syncs__exposures.yml"
MODEL_ID = "model.nudge.sync_klaviyo_subscribers"
TABLE = "syncs.sync_klaviyo_subscribers"
LIST_NAME = "Nudge — Subscribers"
TEST_ROWS = 20_000
TEST_BATCH = 1_000
RATE_SCALE = 0.5  # bulk jobs 5/s and 75/min, profile lookups 37/s and 375/min
# (status, share, extra): applied in order, each to the requests the ones before spared:
# 1 - 0.94 * 0.94 * 0.95 * 0.95 = 20% of all requests fail; a hang outlasts the timeout
FAULTS: tuple[tuple[int | None, float, dict[str, Any]], ...] = (
    (429, 0.06, {"retry_after": 1}),
    (503, 0.06, {}),
    (None, 0.05, {"drop": True}),
    (None, 0.05, {"hang": True}),
)


def read_timeout(batch_size: int) -> float:
    """Long enough for the sandbox to validate a job of ``batch_size`` profiles against the
    spec on a loaded machine (~0.4 ms per profile alone)."""
    return 3.0 + batch_size / 1_000


def audience_sql(rows: int, offset: int = 0) -> str:
    """``rows`` subscribers shaped like ``syncs.sync_klaviyo_subscribers``."""
    return f"""
select
    'c-' || lpad(cast(i as varchar), 7, '0') as contact_id,
    'Subscriber.' || i || '@Example.com' as email,
    'First' || i as first_name,
    case when i % 7 = 0 then null else 'Last' || i end as last_name,
    case when i % 2 = 0 then 'Europe/Paris' else 'America/New_York' end as timezone,
    ['subscriber', 'first_time', 'repeat', 'loyal', 'at_risk', 'lapsed'][1 + i % 6]
        as lifecycle_stage,
    ['champions', 'loyal', 'at_risk', 'hibernating', null][1 + i % 5] as rfm_segment,
    case when i % 5 = 4 then null else cast(100 + i % 455 as varchar) end as rfm_score,
    cast(i % 6 as integer) as orders_count,
    cast(i % 100000 * 1.25 as decimal(18, 2)) as lifetime_revenue,
    case when i % 6 = 0 then null
        else timestamp '2026-06-01 09:30:00' + to_days(cast(i % 28 as integer)) end
        as last_order_at,
    -- predictions: none for contacts without an order
    case when i % 6 = 0 then null else cast(i % 100 / 100 as decimal(9, 2)) end
        as churn_probability,
    case when i % 6 = 0 then null else cast(i % 9 * 0.25 as decimal(9, 2)) end
        as expected_orders_90d,
    case when i % 6 = 0 then null else cast(i % 1000 * 0.75 as decimal(18, 2)) end
        as predicted_clv_365d,
    -- email preferences
    ['all', 'weekly', 'monthly'][1 + i % 3] as email_frequency,
    case when i % 4 = 0 then '["offers"]' else '[]' end as unsubscribed_topics
from range({offset}, {offset + rows}) as t(i)
"""


def make_audience(path: Path, rows: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema syncs")
        con.execute(f"create table {TABLE} as {audience_sql(rows)}")
    stamp_live(path, TABLE)
    return path


def change_audience(path: Path, rows: int) -> None:
    """A second run's worth of changes: 1% changed, 1% removed, 1% new rows."""
    step = 100
    with duckdb.connect(str(path)) as con:
        con.execute(
            f"update {TABLE} set rfm_segment = 'cant_lose_them', orders_count = orders_count + 1"
            f" where cast(substr(contact_id, 3) as integer) % {step} = 1"
        )
        con.execute(
            f"delete from {TABLE} where cast(substr(contact_id, 3) as integer) % {step} = 2"
        )
        con.execute(f"insert into {TABLE} {audience_sql(rows // step, offset=rows)}")


def declaration(batch_size: int) -> SyncDeclaration:
    document = yaml.safe_load(EXPOSURES.read_text(encoding="utf-8"))
    (exposure,) = [e for e in document["exposures"] if e["name"] == "klaviyo_subscribers"]
    sync = copy.deepcopy(exposure["config"]["meta"]["nudge_sync"])
    sync["batch_size"] = batch_size
    manifest = {
        "exposures": {
            "exposure.nudge.klaviyo_subscribers": {
                "name": "klaviyo_subscribers",
                "resource_type": "exposure",
                "config": {"enabled": True, "meta": {"nudge_sync": sync}},
                "depends_on": {"nodes": [MODEL_ID]},
            }
        },
        "nodes": {MODEL_ID: {"relation_name": '"nudge"."syncs"."sync_klaviyo_subscribers"'}},
    }
    (loaded,) = load_declarations(manifest)
    return loaded


def expected_profiles(path: Path) -> dict[str, dict[str, Any]]:
    """What the sandbox must hold for each audience row, by lowercased email."""
    with duckdb.connect(str(path)) as con:
        rows = con.execute(f"select * from {TABLE}").fetchall()
        names = [column[0] for column in con.description or ()]
    expected = {}
    for values in rows:
        row = dict(zip(names, values, strict=True))
        last_order = row["last_order_at"]
        expected[row["email"].lower()] = {
            "external_id": row["contact_id"],
            "first_name": row["first_name"],
            "last_name": row["last_name"],
            "location": {"timezone": row["timezone"]},
            "properties": {
                "lifecycle_stage": row["lifecycle_stage"],
                "rfm_segment": row["rfm_segment"],
                "rfm_score": row["rfm_score"],
                "orders_count": row["orders_count"],
                "lifetime_revenue": float(row["lifetime_revenue"]),
                "last_order_at": None if last_order is None else f"{last_order.isoformat()}+00:00",
                **{
                    f"nudge_{name}": None if row[name] is None else float(row[name])
                    for name in ("churn_probability", "expected_orders_90d", "predicted_clv_365d")
                },
                "nudge_email_frequency": row["email_frequency"],
                "nudge_unsubscribed_topics": json.loads(row["unsubscribed_topics"]),
            },
        }
    return expected


def sandbox_profiles(sandbox: SandboxHandle) -> dict[str, dict[str, Any]]:
    keys = ("external_id", "first_name", "last_name", "location", "properties")
    return {p["email"]: {key: p[key] for key in keys} for p in sandbox.profiles()}


def client_limits(scale: float) -> tuple[EndpointLimit, ...]:
    """Klaviyo's declared limits scaled like the sandbox's ``RateLimitConfig(scale=…)``."""
    return tuple(limit.scaled(scale) for limit in RATE_LIMITS)


# Every endpoint but POST/GET /api/lists: creating a list is not idempotent, and a create
# that hangs past the client's timeout and lands later leaves two lists of the same name
# (as it would in Klaviyo); the engine does not de-duplicate lists yet.
FAULT_PATHS = "^/api/(?!lists$)"


def inject_faults(sandbox: SandboxHandle, timeout: float) -> None:
    """One fault of each kind for sure (the first job POST, poll and import), then 20% of
    every request at random."""
    kinds: list[tuple[int | None, dict[str, Any]]] = [
        (429, {"retry_after": 1}),
        (502, {}),
        (None, {"drop": True}),
        (None, {"delay": timeout + 1.0}),
    ]
    jobs = "^/api/profile-bulk-import-jobs"
    for status, extra in kinds:
        sandbox.inject_fault(status, method="POST", path=jobs + "$", times=1, **extra)
        sandbox.inject_fault(status, method="GET", path=jobs + "/[^/]+$", times=1, **extra)
    for status, share, extra in FAULTS:
        if extra.pop("hang", False):
            extra = {**extra, "delay": timeout + 1.0}
        sandbox.inject_fault(status, path=FAULT_PATHS, share=share, times=None, **extra)


def settings_for(sandbox: SandboxHandle, timeout: float) -> DestinationSettings:
    env = {"KLAVIYO_BASE_URL": sandbox.base_url, "KLAVIYO_API_KEY": API_KEY}
    return klaviyo_settings(
        env,
        read_timeout=timeout,
        retry=RetryPolicy(max_attempts=6, backoff_base=0.1, backoff_max=2.0),
        job_poll_interval=0.5,
        job_poll_max_interval=2.0,
    )


@dataclass
class Outcome:
    runs: list[SyncRunResult]
    seconds: float


def sync_until_settled(
    path: Path, sandbox: SandboxHandle, batch_size: int, limit_runs: int = 4
) -> Outcome:
    """Run the sync until a run leaves nothing failed (a batch that ran out of attempts is
    retried by the next run, as the scheduler would)."""
    settings = settings_for(sandbox, read_timeout(batch_size))
    runs = []
    started = time.monotonic()
    for _ in range(limit_runs):
        destination = KlaviyoDestination(settings, rate_limits=client_limits(RATE_SCALE))
        try:
            sync = declaration(batch_size)
            runs.append(run_sync(sync, path, settings, destination=destination))
        finally:
            destination.close()
        if not runs[-1].failed:
            break
    return Outcome(runs, time.monotonic() - started)


def retry_after_violations(log: list[dict[str, Any]]) -> list[str]:
    """Requests that reached an endpoint before a Retry-After it answered had expired
    (arrival time of the throttled request + Retry-After)."""
    held_until: dict[str, float] = defaultdict(float)
    violations = []
    for entry in sorted(log, key=lambda e: e["time"]):
        operation = operation_for(entry["method"], entry["path"])
        endpoint = operation.operation_id if operation else f"{entry['method']} {entry['path']}"
        if entry["time"] < held_until[endpoint]:
            violations.append(
                f"#{entry['seq']} {endpoint} at {entry['time']:.3f}, "
                f"held until {held_until[endpoint]:.3f}"
            )
        fault = entry.get("fault") or {}
        if entry["status"] == 429 and fault.get("retry_after") is not None:
            seconds = math.ceil(float(fault["retry_after"]))
            held_until[endpoint] = max(held_until[endpoint], entry["time"] + seconds)
    return violations


def check_converged(path: Path, sandbox: SandboxHandle) -> None:
    # a job POST that hung past the client's timeout lands late (the client re-sent it);
    # wait for it so it cannot overwrite the next run's changes with this run's values
    assert sandbox.wait_until_answered(60)
    assert sandbox.wait_for_jobs(120)
    expected = expected_profiles(path)
    members = {member["email"] for member in sandbox.list_members(LIST_NAME)}
    assert members == set(expected)
    profiles = sandbox_profiles(sandbox)
    assert len(profiles) == sandbox.state()["profiles"]  # one profile per email
    mismatched = [email for email, want in expected.items() if profiles.get(email) != want]
    assert mismatched == [], (mismatched[:3], [profiles.get(e) for e in mismatched[:3]])


@dataclass
class Scenario:
    path: Path
    rows: int
    first: Outcome
    second: Outcome
    requests: list[dict[str, Any]]
    throttled_by_sandbox: int


def run_scenario(tmp: Path, rows: int, batch_size: int) -> Scenario:
    path = make_audience(tmp / "nudge.duckdb", rows)
    limits = RateLimitConfig(scale=RATE_SCALE)
    with start_sandbox(API_KEY, rate_limits=limits) as sandbox:
        inject_faults(sandbox, read_timeout(batch_size))
        first = sync_until_settled(path, sandbox, batch_size)
        check_converged(path, sandbox)
        change_audience(path, rows)
        second = sync_until_settled(path, sandbox, batch_size)
        check_converged(path, sandbox)
        sandbox.clear_faults()
        log = sandbox.requests()
        throttled = int(sandbox.state()["rate_limits"]["throttled"])
    return Scenario(path, rows, first, second, log, throttled)


# ------------------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    yield run_scenario(tmp_path_factory.mktemp("faults"), TEST_ROWS, TEST_BATCH)


def test_the_sandbox_ends_equal_to_the_audience_after_two_runs_under_faults(
    scenario: Scenario,
) -> None:
    first = scenario.first.runs
    assert first[0].added == TEST_ROWS
    assert first[-1].failed == 0 and scenario.second.runs[-1].failed == 0
    second = scenario.second.runs[0]
    step = TEST_ROWS // 100
    assert (second.changed, second.removed) == (step, step)
    assert second.added >= step  # the new rows (plus any batch that failed before)


def test_about_a_fifth_of_requests_failed_and_every_kind_of_fault_happened(
    scenario: Scenario,
) -> None:
    faults = [entry["fault"] for entry in scenario.requests if entry["fault"]]
    share = len(faults) / len(scenario.requests)
    assert 0.08 <= share <= 0.4, share
    kinds = {
        "429": sum(1 for f in faults if f["status"] == 429),
        "5xx": sum(1 for f in faults if (f["status"] or 0) >= 500),
        "drop": sum(1 for f in faults if f.get("drop")),
        "hang": sum(1 for f in faults if f["status"] is None and not f.get("drop")),
    }
    assert all(count > 0 for count in kinds.values()), kinds
    runs = scenario.first.runs + scenario.second.runs
    assert sum(r.rate_limited for r in runs) == kinds["429"]
    assert sum(r.request_retries for r in runs) >= len(faults) - sum(r.failed for r in runs)
    assert sum(r.timeouts for r in runs) >= 1 and sum(r.connection_errors for r in runs) >= 1


def test_no_request_was_sent_before_a_retry_after_expired(scenario: Scenario) -> None:
    throttled = [e for e in scenario.requests if e["status"] == 429]
    assert throttled
    assert retry_after_violations(scenario.requests) == []


def test_the_client_limiter_kept_under_the_sandbox_limits(scenario: Scenario) -> None:
    assert scenario.throttled_by_sandbox == 0
    assert all(e["validation"] == "passed" for e in scenario.requests)


def test_sync_runs_record_counts_calls_429s_and_duration(scenario: Scenario) -> None:
    runs = scenario.first.runs + scenario.second.runs
    assert all(r.duration_seconds > 0 and r.api_calls > 0 for r in runs)
    assert sum(r.api_calls for r in runs) == len(scenario.requests)
    with duckdb.connect(str(scenario.path), read_only=True) as con:
        history = con.execute(
            f"select added, changed, removed, failed, retried, api_calls, rate_limited,"
            f" request_retries, timeouts, connection_errors, duration_seconds, status"
            f" from {RUNS_TABLE} order by started_at"
        ).fetchall()
        states = con.execute(f"select status, count(*) from {STATE_TABLE} group by 1").fetchall()
    assert [row[:10] for row in history] == [
        (
            r.added,
            r.changed,
            r.removed,
            r.failed,
            r.retried,
            r.api_calls,
            r.rate_limited,
            r.request_retries,
            r.timeouts,
            r.connection_errors,
        )
        for r in runs
    ]
    assert all(row[10] > 0 for row in history) and history[-1][11] == "success"
    step = TEST_ROWS // 100
    assert dict(states) == {"synced": TEST_ROWS, "removed": step}


# --------------------------------------------------------- the limiter on its own


def test_a_window_limiter_never_allows_more_than_its_limit_in_any_window() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    limiter = WindowLimiter((Window(3, 1.0), Window(5, 10.0)), clock=lambda: now[0], sleep=sleep)
    sent = []
    for _ in range(12):
        limiter.acquire()
        sent.append(now[0])
    for i, start in enumerate(sent):
        assert sum(1 for t in sent[i:] if t < start + 1.0) <= 3
        assert sum(1 for t in sent[i:] if t < start + 10.0) <= 5
    assert sent[-1] > 20  # 12 requests at 5 per 10 s


@hypothesis_settings(max_examples=60, deadline=None)
@given(
    limits=st.lists(st.tuples(st.integers(1, 6), st.floats(0.1, 30.0)), min_size=1, max_size=3),
    gaps=st.lists(st.floats(0.0, 3.0), min_size=1, max_size=40),
)
def test_no_window_ever_holds_more_than_its_limit(
    limits: list[tuple[int, float]], gaps: list[float]
) -> None:
    """Whatever the windows and however requests come, no interval of a window's length
    (so no fixed window the server counts in) holds more than its limit."""
    now = [1000.0]
    windows = tuple(Window(limit, seconds) for limit, seconds in limits)
    limiter = WindowLimiter(
        windows, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s)
    )
    sent = []
    for gap in gaps:
        now[0] += gap
        limiter.acquire()
        sent.append(now[0])
    for window in windows:
        for i, start in enumerate(sent):
            assert sum(1 for t in sent[i:] if t < start + window.seconds) <= window.limit


def test_a_hold_blocks_the_endpoint_and_a_long_one_fails_fast() -> None:
    now = [100.0]
    limiter = RateLimiter(
        (EndpointLimit("jobs", "POST", "/api/jobs", (Window(10, 1.0),)),),
        clock=lambda: now[0],
        sleep=lambda s: now.__setitem__(0, now[0] + s),
    )
    limiter.hold("POST", "/api/jobs", 2.0)
    assert limiter.acquire("GET", "/api/other") == 0.0  # other endpoints are not held
    assert limiter.acquire("POST", "/api/jobs") == pytest.approx(2.0)
    limiter.hold("POST", "/api/jobs", 90.0)
    with pytest.raises(Exception, match="rate limited for 90 more seconds"):
        limiter.acquire("POST", "/api/jobs", max_hold=60.0)


def test_an_unlimited_client_trips_the_sandbox_limits_and_the_declared_one_does_not() -> None:
    limits = RateLimitConfig(overrides={"get_lists": {"burst": 3, "steady": 1000}})
    with start_sandbox("k-limits", rate_limits=limits) as sandbox:
        env = {"KLAVIYO_BASE_URL": sandbox.base_url, "KLAVIYO_API_KEY": "k-limits"}
        settings = klaviyo_settings(env, retry=RetryPolicy(backoff_base=0.01))
        declared = (EndpointLimit("get_lists", "GET", "/api/lists", (Window(3, 1.0),)),)
        limited = KlaviyoDestination(settings, rate_limits=declared)
        started = time.monotonic()
        for _ in range(7):
            limited.ensure_list("x", create=False)
        assert time.monotonic() - started >= 1.9  # 7 calls at 3 per second
        assert limited.client.stats.rate_limited == 0
        assert sandbox.state()["rate_limits"]["throttled"] == 0
        sandbox.clear_requests()

        unlimited = KlaviyoDestination(settings, rate_limits=())
        for _ in range(7):
            unlimited.ensure_list("x", create=False)
        assert unlimited.client.stats.rate_limited >= 1  # learned from 429s instead
        log = sandbox.requests()
        assert [e for e in log if e["status"] == 429]
        assert retry_after_violations(log) == []


# ------------------------------------------------------------------- benchmark


def main() -> None:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = run_scenario(Path(tmp), args.rows, args.batch_size)
    requests = result.requests
    faults = [e for e in requests if e["fault"]]
    runs = result.first.runs + result.second.runs
    print(
        f"rows={result.rows:,} batch={args.batch_size:,} first sync {result.first.seconds:.1f}s "
        f"({len(result.first.runs)} run(s)), second sync (1% changed/removed/added) "
        f"{result.second.seconds:.1f}s; requests={len(requests)} faults={len(faults)} "
        f"({len(faults) / len(requests):.0%}), 429s={sum(r.rate_limited for r in runs)}, "
        f"timeouts={sum(r.timeouts for r in runs)}, "
        f"dropped={sum(r.connection_errors for r in runs)}, "
        f"retried requests={sum(r.request_retries for r in runs)}, "
        f"limiter waits={sum(r.throttle_seconds for r in runs):.1f}s, "
        f"sandbox throttled={result.throttled_by_sandbox}, "
        f"Retry-After violations={len(retry_after_violations(requests))}"
    )


if __name__ == "__main__":
    main()
