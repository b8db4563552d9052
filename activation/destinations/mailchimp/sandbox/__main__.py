"""``python -m activation.destinations.mailchimp.sandbox [--port N]``: serves it as
``activation.sandbox.serve_esp`` says."""

from ....sandbox.serve_esp import main

if __name__ == "__main__":
    raise SystemExit(main("mailchimp"))
