"""``python -m activation.destinations.klaviyo.sandbox [--port 8765] [--state PATH]
[--no-validate]``.

The API key the sandbox accepts comes from ``KLAVIYO_API_KEY``.
"""

from __future__ import annotations

import argparse
import os
import sys

from .server import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m activation.destinations.klaviyo.sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--state", default=None, help="SQLite file for state (default: memory)")
    parser.add_argument("--no-validate", action="store_true", help="skip OpenAPI validation")
    args = parser.parse_args(argv)
    api_key = os.environ.get("KLAVIYO_API_KEY")
    if not api_key:
        print("set KLAVIYO_API_KEY to the key the sandbox should accept", file=sys.stderr)
        return 2
    print(f"Klaviyo sandbox on http://{args.host}:{args.port}", file=sys.stderr)
    serve(args.host, args.port, api_key, args.state, not args.no_validate)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
