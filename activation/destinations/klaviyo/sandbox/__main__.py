"""``python -m activation.destinations.klaviyo.sandbox [--port N] [--state PATH]
[--no-validate]`` (the default port is its spec's, as ``nudge sandbox`` serves it).

The API key the sandbox accepts comes from ``KLAVIYO_API_KEY``.
"""

from __future__ import annotations

import argparse
import os
import sys

from ....sandbox.serve_esp import client_env, export_lines, sandbox_of
from .server import serve

DESTINATION = "klaviyo"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m activation.destinations.klaviyo.sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=sandbox_of(DESTINATION).default_port)
    parser.add_argument("--state", default=None, help="SQLite file for state (default: memory)")
    parser.add_argument("--no-validate", action="store_true", help="skip OpenAPI validation")
    args = parser.parse_args(argv)
    api_key = os.environ.get("KLAVIYO_API_KEY")
    if not api_key:
        print("set KLAVIYO_API_KEY to the key the sandbox should accept", file=sys.stderr)
        return 2
    print(f"Klaviyo sandbox on http://{args.host}:{args.port}", file=sys.stderr)
    for line in export_lines(client_env(DESTINATION, args.host, args.port)):
        print(line, file=sys.stderr)
    serve(args.host, args.port, api_key, args.state, not args.no_validate)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
