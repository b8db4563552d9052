"""A write the server cannot de-duplicate (``resend_if_maybe_received=False``) is repeated
only when it surely never arrived: a refused connection is retried, as a 429 is (see
tests/test_sends_outcome_unknown.py for timeouts, dropped connections and 5xx)."""

from __future__ import annotations

import socket

import pytest

from activation.errors import DestinationError
from activation.http import ApiClient, OutcomeUnknown
from activation.settings import RetryPolicy


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_refused_connection_is_retried_as_nothing_arrived() -> None:
    retry = RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.002)
    client = ApiClient(f"http://127.0.0.1:{closed_port()}", {}, retry=retry, sleep=lambda _: None)
    try:
        with pytest.raises(DestinationError, match="failed after 3 attempts") as raised:
            client.request("POST", "/events", body={}, resend_if_maybe_received=False)
    finally:
        client.close()
    assert not isinstance(raised.value, OutcomeUnknown)
    assert (client.stats.api_calls, client.stats.connection_errors) == (3, 3)
