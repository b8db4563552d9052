"""Time the send runner: N due sends to a local Klaviyo sandbox, from a fresh warehouse.

    python -m activation.sends.bench --sends 10000 [--limits] [--validate]

Without ``--limits`` neither the client nor the sandbox applies Klaviyo's rate limits (the
engine's own cost: ledger writes, event building, HTTP); with them, create_event's steady
3,500/min bounds any run. Prints one BENCHMARKS.md row: seconds, sends/s, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from ..build_stamps import record_build_stamp
from ..destinations.klaviyo.client import KlaviyoDestination
from ..destinations.klaviyo.sandbox import RateLimitConfig, start_sandbox
from ..destinations.klaviyo.settings import klaviyo_settings
from ..warehouse import Warehouse
from .runner import run_sends

KEY = "bench-key-0000"


def make_warehouse(path: Path, sends: int) -> None:
    as_of = datetime.now(UTC).replace(tzinfo=None)
    payload = json.dumps({"cart_id": "c", "items": [{"name": "Mug", "price": 12.5}]})
    with duckdb.connect(str(path)) as con:
        con.execute("create schema triggers")
        con.execute("create schema contacts")
        con.execute(
            "create table contacts.contact_profiles as select"
            " 'c-' || i as contact_id, 'c-' || i || '@example.com' as email,"
            " true as has_consent, false as is_suppressed, null::varchar as suppression_reason,"
            " ?::timestamp as consent_changed_at, null::integer as frequency_window_days"
            " from range(?) t(i)",
            [as_of - timedelta(days=30), sends],
        )
        con.execute(
            "create table triggers.triggered_sends as select"
            " 'sk-' || i as send_key, 'c-' || i as contact_id,"
            " 'cart_abandonment' as trigger_key, 's' as series_id, 1 as step,"
            " ?::timestamp as due_at, ?::timestamp as send_after, 'due' as status,"
            " 'A' as variant, 1 as priority,"
            " 'Nudge Cart Abandonment' as esp_metric, ? as payload, 'UTC' as timezone,"
            " true as quiet_hours_opt_out, 'reminders' as topic, ?::timestamp as as_of"
            " from range(?) t(i)",
            [as_of - timedelta(minutes=5), as_of - timedelta(minutes=5), payload, as_of, sends],
        )
        # the build's guardrail settings (triggers.send_policy): one send per contact here
        con.execute(
            "create table triggers.send_policy as select ?::timestamp as as_of,"
            " 24 as max_send_lateness_hours, 21 as quiet_hours_start, 8 as quiet_hours_end,"
            " 1 as max_sends_per_day, 3 as max_sends_per_week,"
            " 'weekly=7,monthly=30' as email_frequency_windows",
            [as_of],
        )
    with Warehouse(path) as warehouse:
        record_build_stamp(warehouse, "triggers.triggered_sends", as_of)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=2_000)
    parser.add_argument("--batch-rows", type=int, default=100)
    parser.add_argument("--limits", action="store_true", help="Klaviyo's rate limits on")
    parser.add_argument("--validate", action="store_true", help="sandbox validates requests")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        warehouse = Path(folder) / "nudge.duckdb"
        make_warehouse(warehouse, args.sends)
        limits = None if args.limits else RateLimitConfig(enabled=False)
        # the sandbox runs in this process, its state in memory (a few MB at 10,000 events)
        with start_sandbox(KEY, validate=args.validate, rate_limits=limits) as sandbox:
            settings = klaviyo_settings(
                {"KLAVIYO_API_KEY": KEY, "KLAVIYO_BASE_URL": sandbox.base_url}
            )
            destination = KlaviyoDestination(settings, rate_limits=None if args.limits else ())
            started = time.perf_counter()
            result = run_sends(
                warehouse, settings, destination=destination, batch_rows=args.batch_rows
            )
            seconds = time.perf_counter() - started
            destination.close()
            events = len(sandbox.events())
        assert result.sent == args.sends == events, (result.sent, events)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    flags = [f for f, on in (("--limits", args.limits), ("--validate", args.validate)) if on]
    command = " ".join(["python -m activation.sends.bench --sends", str(args.sends), *flags])
    print(
        f"| `{command}` | {args.sends:,} | {seconds:.1f} | {args.sends / seconds:,.0f} |"
        f" {peak_mb:,.0f} MB |"
    )


if __name__ == "__main__":
    main()
