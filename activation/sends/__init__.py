"""Triggered sends, effectively exactly-once: the send ledger (``activation.send_ledger``),
the runner that delivers ``triggers.triggered_sends`` rows with status 'due' as ESP events
keyed by their send_key, and the read-back of suppressions made in the ESP.

    read_back_suppressions("warehouse/nudge.duckdb", klaviyo_settings())
    result = run_sends("warehouse/nudge.duckdb", klaviyo_settings())
"""

from .readback import ReadbackResult, read_back_suppressions
from .runner import SendRunResult, run_sends

__all__ = ["ReadbackResult", "SendRunResult", "read_back_suppressions", "run_sends"]
