"""The `reelforge` command line: run commands and operator commands on one Typer app."""

from __future__ import annotations

from graph import cli_ops, cli_runs  # noqa: F401 - importing them registers their commands
from graph.cli_common import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the console script."""
    app(prog_name="reelforge")


if __name__ == "__main__":  # pragma: no cover
    main()
