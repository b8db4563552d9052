"""The `nudge` command line."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Nudge: warehouse-native behavioral email marketing.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main() -> None:
    """Nudge: warehouse-native behavioral email marketing."""


if __name__ == "__main__":
    app()
