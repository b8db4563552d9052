"""``python -m activation.sandbox.webhook [--port N]``: see ``activation.sandbox.serve_esp``."""

from ..serve_esp import main

if __name__ == "__main__":
    raise SystemExit(main("webhook"))
