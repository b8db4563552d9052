"""What a run's ESP client did, copied onto the run's result (sync or send) in one way: the
same counters, under the same names, in ``activation.sync_runs`` and ``activation.send_runs``."""

from __future__ import annotations

from typing import Protocol

from .destinations.limits import rows_truncated

# result attribute -> the client's CallStats attribute (activation/http.py)
STATS = {
    "api_calls": "api_calls",
    "write_calls": "write_calls",
    "rate_limited": "rate_limited",
    "request_retries": "retries",
    "server_errors": "server_errors",
    "timeouts": "timeouts",
    "connection_errors": "connection_errors",
    "throttle_seconds": "throttle_seconds",
}


class CountedRun(Protocol):
    """A run result carrying the counters (SyncRunResult, SendRunResult)."""

    truncated: int
    api_calls: int
    write_calls: int
    rate_limited: int
    request_retries: int
    server_errors: int
    timeouts: int
    connection_errors: int
    throttle_seconds: float


def record_client_stats(destination: object, result: CountedRun) -> None:
    """Set ``result``'s counters from ``destination``'s HTTP client, and ``truncated`` (rows
    sent with strings cut to the destination's limits). A destination without an HTTP
    client (a fake in tests) leaves the counters as they are."""
    result.truncated = rows_truncated(destination)
    stats = getattr(getattr(destination, "client", None), "stats", None)
    if stats is None:
        return
    for name, source in STATS.items():
        value = getattr(stats, source)
        setattr(result, name, round(value, 3) if isinstance(value, float) else value)
